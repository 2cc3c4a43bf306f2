// Delivery guarantees with a transactional plugin (tx-counter): effects once
// per event id through redeliveries, SIGKILLs and a poison event.
import Foundation
import Testing

/// The librdkafka mock cluster in its own process, so it outlives the daemon.
final class StandaloneMock: @unchecked Sendable {
    let child: ChildProcess
    let bootstrap: String

    /// - Parameter host: the address to listen on and advertise (a fleet network's bridge); default 127.0.0.1.
    init(dir: String, partitions: Int = 6, topics: [String], host: String? = nil) throws {
        let binary = "\(Harness.fixtureStage)/mockbroker"
        guard FileManager.default.fileExists(atPath: binary) else { throw HarnessError("\(binary) missing: run `make fixtures`") }
        let environment = host.map { ProcessInfo.processInfo.environment.merging(["MOCKBROKER_HOST": $0]) { $1 } }
        let process = try ChildProcess(binary, ["\(partitions)"] + topics, logPath: "\(dir)/mockbroker.log", environment: environment)
        var address = ""
        try Harness.waitUntil("the mock broker's address", timeout: 10, poll: 0.05) {
            // librdkafka may warn on stderr first; the address is the line that is only host:port.
            address = process.log.split(separator: "\n").map(String.init)
                .first { $0.hasPrefix("\(host ?? "127.0.0.1"):") || $0.hasPrefix("localhost:") } ?? ""
            return !address.isEmpty
        }
        child = process
        bootstrap = address
    }

    deinit { child.stop() }
}

/// Reads a plugin's key-value state with the sqlite3 CLI (the daemon must be stopped or idle).
func pluginState(_ stateDir: String, plugin: String) throws -> [String: String] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    process.arguments = ["-separator", "\t", "\(stateDir)/plugins/\(plugin)/state.sqlite",
                         "SELECT CAST(key AS TEXT), CAST(value AS TEXT) FROM kv"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    var state: [String: String] = [:]
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
        let parts = line.split(separator: "\t", maxSplits: 1)
        if parts.count == 2 { state[String(parts[0])] = String(parts[1]) }
    }
    return state
}

@Suite(.serialized) struct DeliveryEndToEndTests {
    static let topics = ["mission-events", "mission.completed", "counter-events", "mission-events.dlq", "mission.completed.dlq"]

    func setUp(_ tag: String, settings: String = "", database: (String) throws -> PostgresServer? = { _ in nil }
    ) throws -> (dir: String, broker: StandaloneMock, config: String, plugins: String, database: PostgresServer?) {
        let dir = try Harness.temporaryDirectory(tag)
        let broker = try StandaloneMock(dir: dir, topics: Self.topics)
        let database = try database(dir)
        let config = try Harness.configuration(in: dir, replacing: [("backoff_ms = 200", "backoff_ms = 20")] + (database?.storeReplacement ?? []),
                                               pluginFiles: ["tx-counter": "[plugin]\nenabled = true\n\n[settings]\n\(settings)"])
        let plugins = try Harness.pluginDirectory(in: dir, plugins: [], fixtures: ["tx-counter"])
        return (dir, broker, config, plugins, database)
    }

    func events(_ count: Int, prefix: String) -> [(key: String, value: String)] {
        (0..<count).map { i in
            ("user-\(i % 40)", #"{"eventId":"\#(prefix)-\#(i)","eventType":"mission.started","occurredAt":"2026-11-24T10:00:00Z"}"#)
        }
    }

    func seenCounts(_ state: [String: String], prefix: String) -> [String: String] {
        state.filter { $0.key.hasPrefix("seen/\(prefix)-") }
    }

    /// On both store backends (PostgreSQL: a server of the test's own).
    @Test(arguments: ["sqlite", "postgresql"])
    func killMinusNineSoakAppliesEveryEffectExactlyOnce(_ backend: String) throws {
        let count = Int(Harness.environment["EVENTD_SOAK_EVENTS"] ?? "") ?? 4000
        let kills = Int(Harness.environment["EVENTD_SOAK_KILLS"] ?? "") ?? 5
        let (dir, broker, config, plugins, database) = try setUp("soak-\(backend)") { backend == "postgresql" ? try PostgresServer(dir: "\($0)/pg") : nil }
        let all = events(count, prefix: "soak")
        let produced = Kcat.stream(all, to: broker.bootstrap, pause: 0.05)

        var daemon = try DaemonUnderTest(config: config, brokers: broker.bootstrap, pluginDir: plugins, dir: dir, run: 0)
        for kill in 1...kills {
            Thread.sleep(forTimeInterval: Double.random(in: 0.8...2.5))
            #expect(daemon.child.stop(SIGKILL) != 0)
            daemon = try DaemonUnderTest(config: config, brokers: broker.bootstrap, pluginDir: plugins, dir: dir, run: kill)
        }
        try Harness.waitUntil("the producer", timeout: 120, poll: 0.2) { produced.isSet }
        try Harness.waitUntil("every event handled", timeout: 180, poll: 1) {
            try Eventctl.run(["stats", "--json"], socket: daemon.socket).json()["result"].map { result in
                let groups = (result as? [String: Any])?["groups"] as? [[String: Any]] ?? []
                let lag = groups.flatMap { ($0["lag"] as? [[String: Any]]) ?? [] }.compactMap { $0["lag"] as? Int }
                return !lag.isEmpty && lag.allSatisfy { $0 == 0 }
            } ?? false
        }
        #expect(daemon.child.stop(SIGTERM) == 0)

        let state = try database?.pluginState("tx-counter") ?? pluginState(daemon.stateDir, plugin: "tx-counter")
        let seen = seenCounts(state, prefix: "soak")
        #expect(seen.count == count, "every event handled at least once")
        let repeated = seen.filter { $0.value != "1" }
        #expect(repeated.isEmpty, "state effects applied more than once: \(repeated.prefix(5))")
        #expect(state["total"] == String(count), "the running total counts each event once")
        // Follow-ups left through the outbox; after crashes some may be sent twice, never with a new id.
        let followUps = try Kcat.consumeAll(broker.bootstrap, topic: "counter-events").map(\.value)
        #expect(Set(followUps).count == count, "every follow-up reached the broker")
        #expect(daemon.child.log.contains("consumer closed"))
        print("soak on \(backend): \(count) events, \(kills) SIGKILLs, \(followUps.count) follow-up records for \(Set(followUps).count) ids")
    }

    @Test func aDuplicateDeliveryIsSkippedByTheLedger() throws {
        let (dir, broker, config, plugins, _) = try setUp("dup")
        let daemon = try DaemonUnderTest(config: config, brokers: broker.bootstrap, pluginDir: plugins, dir: dir)
        defer { daemon.child.stop() }
        // The same ids again in a later batch (within one batch a repeated id is rejected as duplicate-id).
        var plugin: [String: Any] = [:]
        try Kcat.produce(broker.bootstrap, topic: "mission-events", lines: events(3, prefix: "dup"))
        try Harness.waitUntil("3 handled", timeout: 60, poll: 0.3) {
            let result = try Eventctl.run(["stats", "--json"], socket: daemon.socket).json()["result"] as? [String: Any]
            let group = (result?["groups"] as? [[String: Any]])?.first { $0["name"] as? String == "tx-counter-group" }
            return ((group?["plugins"] as? [[String: Any]])?.first?["handled"] as? Int) == 3
        }
        try Kcat.produce(broker.bootstrap, topic: "mission-events", lines: events(3, prefix: "dup"))
        try Harness.waitUntil("6 deliveries", timeout: 60, poll: 0.5) {
            let result = try Eventctl.run(["stats", "--json"], socket: daemon.socket).json()["result"] as? [String: Any]
            let group = (result?["groups"] as? [[String: Any]])?.first { $0["name"] as? String == "tx-counter-group" }
            plugin = (group?["plugins"] as? [[String: Any]])?.first ?? [:]
            return (plugin["handled"] as? Int ?? 0) + (plugin["duplicates"] as? Int ?? 0) == 6
        }
        #expect(plugin["handled"] as? Int == 3)
        #expect(plugin["duplicates"] as? Int == 3)
        #expect(daemon.child.stop() == 0)
        let state = try pluginState(daemon.stateDir, plugin: "tx-counter")
        #expect(state["total"] == "3")
        #expect(seenCounts(state, prefix: "dup").values.allSatisfy { $0 == "1" })
    }

    @Test func aPoisonEventThatCrashesTheDaemonTwiceIsQuarantined() throws {
        let (dir, broker, config, plugins, _) = try setUp("poison", settings: "abort_id = \"poison\"\n")
        var lines = events(10, prefix: "ok")
        lines.insert(("user-1", #"{"eventId":"poison","eventType":"mission.started","occurredAt":"2026-11-24T10:00:00Z"}"#), at: 5)
        try Kcat.produce(broker.bootstrap, topic: "mission-events", lines: lines)

        // Restart it as systemd's Restart=on-failure would. A restarted daemon waits for the dead one's
        // session to time out before it gets the partition: generous waits (a loaded CI machine took over 20 s).
        var crashes = 0
        var run = 0
        var daemon = try DaemonUnderTest(config: config, brokers: broker.bootstrap, pluginDir: plugins, dir: dir, run: run)
        while crashes < 2 {
            let crashed = (try? Harness.waitUntil("a crash", timeout: 90, poll: 0.2) { !daemon.child.isRunning }) != nil
            guard crashed else { break }
            crashes += 1
            run += 1
            daemon = try DaemonUnderTest(config: config, brokers: broker.bootstrap, pluginDir: plugins, dir: dir, run: run)
        }
        defer { daemon.child.stop() }
        #expect(crashes == 2)
        // The third run quarantines the event without handing it over (that would crash it a third time).
        var dead: [ConsumedRecord] = []
        try Harness.waitUntil("the quarantined event in the DLQ", timeout: 90, poll: 0.5) {
            dead = try Kcat.consumeAll(broker.bootstrap, topic: "mission-events.dlq")
            return !dead.isEmpty || !daemon.child.isRunning
        }
        #expect(daemon.child.isRunning, "the poison event must not be handed over a third time")
        #expect(dead.count == 1)
        #expect(dead.first?.headers["x-dlq-outcome"] == "handler-crashed")
        #expect(dead.first?.headers["x-dlq-plugin"] == "tx-counter")
        #expect(dead.first?.value.contains("\"poison\"") == true)
        try Harness.waitUntil("the other 10 events", timeout: 60, poll: 0.5) {
            Set(try Kcat.consumeAll(broker.bootstrap, topic: "counter-events").map(\.value)).count == 10
        }
        #expect(daemon.child.stop() == 0)
        let state = try pluginState(daemon.stateDir, plugin: "tx-counter")
        #expect(state["total"] == "10")
    }
}
