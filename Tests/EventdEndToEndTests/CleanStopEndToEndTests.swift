// A clean stop of the embedded setup (`make run`, then SIGTERM) logs no
// error: the Kafka clients are destroyed before the embedded cluster they
// talk to, so none of them reconnects to a broker that is gone ("Connection
// refused" from librdkafka) and health judges nothing while they close.
import Foundation
import Testing

@Suite(.serialized) struct CleanStopEndToEndTests {
    let run = String(UUID().uuidString.prefix(6)).lowercased()

    @Test func aCleanStopOfTheEmbeddedSetupLogsNoErrorLine() throws {
        // What `make run` loads: every plugin, the shipped configuration, the embedded cluster.
        let services = try ServiceDaemon("clean-stop", plugins: ServiceDaemon.allPlugins + ["echo", "echo-c"])
        let user = "cs-\(run)"
        try services.storeResult("\(user)/stop-1.json", tests: [("a", true)], lintWarnings: 0, durationSeconds: 10)
        try services.publish("mission.completed", id: "\(run)-stop", user: user, at: at(0), on: ["mission.completed"],
                             ["userId": user, "missionId": "stop-1", "resultKey": "\(user)/stop-1.json", "durationSeconds": 10])
        try services.wait("the evaluation") { try services.events("evaluation.completed", user: user).count == 1 }
        try services.quiesce()

        #expect(services.daemon.child.stop() == 0)
        let log = services.daemon.child.log
        #expect(log.contains("[EventdDaemon] stopped"), "\(log.suffix(2000))")
        let loud = log.split(separator: "\n").filter { line in
            let level = line.split(separator: " ", maxSplits: 2).dropFirst().first ?? ""
            return level == "error" || level == "critical"
        }
        #expect(loud.count == 0, "error lines at a clean stop:\n\(loud.prefix(5).joined(separator: "\n"))")
        // Whether a client's reconnect attempt lands while the cluster is gone (an error line) is a race;
        // that a client saw its broker vanish at all (librdkafka's FAIL: Disconnected) is not.
        let vanished = log.split(separator: "\n").filter { $0.contains("librdkafka FAIL") || $0.contains("Disconnected") }
        #expect(vanished.count == 0, "clients outlived the embedded cluster:\n\(vanished.prefix(5).joined(separator: "\n"))")
    }
}
