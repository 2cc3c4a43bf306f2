// Log lines about an event handled with a W3C traceparent carry its trace id
// (metadata trace_id, the journal field TRACE_ID): a plugin's own lines while
// it handles the event, and the daemon's (dead letter) lines; an event without
// one gets none.
import Foundation
import Testing

@Suite(.serialized) struct TraceLogEndToEndTests {
    let run = String(UUID().uuidString.prefix(6)).lowercased()

    @Test func linesAboutATracedEventCarryItsTraceId() throws {
        let services = try ServiceDaemon("trace-log", plugins: ["ai-evaluation"])
        let traced = "0af7651916cd43dd8448eb211c80319c", user = "tl-\(run)", other = "tn-\(run)"
        try services.storeResult("\(user)/t-1.json", tests: [("a", true)], lintWarnings: 0, durationSeconds: 5)
        try services.storeResult("\(other)/t-1.json", tests: [("a", true)], lintWarnings: 0, durationSeconds: 5)
        func completed(_ user: String, id: String, _ payload: [String: Any]) throws -> String {
            try ServiceDaemon.envelope("mission.completed", id: id, user: user, at: at(0), payload)
        }
        let good = try completed(user, id: "\(run)-good", ["userId": user, "missionId": "t-1", "resultKey": "\(user)/t-1.json", "durationSeconds": 5])
        let bad = try completed(user, id: "\(run)-bad", ["userId": user, "missionId": "t-1", "durationSeconds": 5])
        try Kcat.produce(services.bootstrap, topic: "mission.completed", lines: [(user, good), (user, bad)],
                         headers: ["traceparent": "00-\(traced)-b7ad6b7169203331-01"])
        let untraced = try completed(other, id: "\(run)-plain", ["userId": other, "missionId": "t-1", "resultKey": "\(other)/t-1.json", "durationSeconds": 5])
        try Kcat.produce(services.bootstrap, topic: "mission.completed", lines: [(other, untraced)])
        try services.wait("both evaluations and the dead letter") {
            try services.events("evaluation.completed", user: user).count == 1
                && services.events("evaluation.completed", user: other).count == 1 && services.counter("dead_lettered") == 1
        }
        let lines = services.daemon.child.log.split(separator: "\n")
        let pluginLines = lines.filter { $0.contains("evaluation completed") }
        #expect(pluginLines.count == 2, "\(pluginLines)")
        // The traced user's evaluation carries the trace, the other one none.
        #expect(pluginLines.filter { $0.contains("trace_id=\(traced)") }.count == 1, "\(pluginLines)")
        #expect(pluginLines.filter { !$0.contains("trace_id=") }.count == 1, "\(pluginLines)")
        let deadLetter = lines.filter { $0.contains("event dead-lettered") }
        #expect(deadLetter.count == 1 && deadLetter[0].contains("trace_id=\(traced)"), "\(deadLetter)")
    }
}
