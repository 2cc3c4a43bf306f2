// Retries through the real daemon: in-memory attempts, delay tier topics
// (shortened to 1 s and 2 s), per-key order while an event is parked, the
// dead-letter topic after the last tier, and handler deadlines.
import Foundation
import Testing

/// A record read with its timestamp (the daemon's produce time for follow-ups).
typealias TimedRecord = ConsumedRecord

extension ConsumedRecord {
    static func readAll(_ brokers: String, topic: String) throws -> [ConsumedRecord] { try Kcat.consumeAll(brokers, topic: topic) }
}

/// Where the retry tests run: the standalone mock cluster or noida-db.
enum RetryBroker: String, CaseIterable, CustomStringConvertible {
    case mock, noida
    var description: String { rawValue }
}

@Suite(.serialized) struct RetryEndToEndTests {
    static let tierTopics = ["mission-events.retry.1s", "mission-events.retry.2s"]
    // The default tiers too: handlers without a [retry] table subscribe to them.
    static let topics = ["mission-events", "counter-events", "mission-events.dlq"] + tierTopics
        + ["10s", "1m", "10m"].map { "mission-events.retry.\($0)" }

    static func envelope(_ id: String, _ type: String = "mission.started") -> String {
        #"{"eventId":"\#(id)","eventType":"\#(type)","occurredAt":"2026-11-24T10:00:00Z","payload":{}}"#
    }

    struct Setup {
        var dir: String
        var bootstrap: String
        var config: String
        var plugins: String
        var keepAlive: AnyObject
    }

    /// A broker, a configuration with `counterFile` as the counter plugin's file, and a plugin directory.
    func setUp(_ tag: String, broker: RetryBroker, pluginFiles: [String: String], fixtures: [String]) throws -> Setup {
        let dir = try Harness.temporaryDirectory(tag)
        var replacing = [("backoff_ms = 200", "backoff_ms = 20")]
        let bootstrap: String
        let keepAlive: AnyObject
        switch broker {
        case .mock:
            let mock = try StandaloneMock(dir: dir, topics: Self.topics)
            bootstrap = mock.bootstrap
            keepAlive = mock
        case .noida:
            let noida = try NoidaBroker(dir: dir)
            bootstrap = noida.bootstrap
            keepAlive = noida
            // The daemon creates every topic it uses, with the tier topics its plugins' policies name.
            replacing += [("create_topics = false", "create_topics = true"), ("create_replication_factor = 3", "create_replication_factor = 1")]
        }
        let config = try Harness.configuration(in: dir, replacing: replacing, pluginFiles: pluginFiles)
        let plugins = try Harness.pluginDirectory(in: dir, plugins: [], fixtures: fixtures)
        return Setup(dir: dir, bootstrap: bootstrap, config: config, plugins: plugins, keepAlive: keepAlive)
    }

    func pluginStats(_ daemon: DaemonUnderTest, group: String) throws -> [String: Any] {
        let result = try Eventctl.run(["stats", "--json"], socket: daemon.socket).json()["result"] as? [String: Any]
        let entry = (result?["groups"] as? [[String: Any]])?.first { $0["name"] as? String == group }
        return (entry?["plugins"] as? [[String: Any]])?.first ?? [:]
    }

    @Test func aTransientFailureIsRetriedInMemoryAndHandledOnce() throws {
        let counter = "[plugin]\nenabled = true\n\n[settings]\nflaky_id = \"t-1\"\nflaky_failures = \"2\"\n"
        let setup = try setUp("retry-memory", broker: .mock, pluginFiles: ["counter": counter], fixtures: ["counter"])
        let daemon = try DaemonUnderTest(config: setup.config, brokers: setup.bootstrap, pluginDir: setup.plugins, dir: setup.dir)
        defer { daemon.child.stop() }
        try Kcat.produce(setup.bootstrap, topic: "mission-events", lines: [("k", Self.envelope("t-0")), ("k", Self.envelope("t-1")), ("k", Self.envelope("t-2"))])
        var stats: [String: Any] = [:]
        try Harness.waitUntil("3 events handled", timeout: 60, poll: 0.3) {
            stats = try pluginStats(daemon, group: "counter-group")
            return stats["handled"] as? Int == 3
        }
        #expect(stats["retries"] as? Int == 2, "two failed calls, then success: \(stats)")
        #expect(stats["failed"] as? Int == 0)
        let outputs = try TimedRecord.readAll(setup.bootstrap, topic: "counter-events").map(\.value)
        #expect(outputs == ["t-0", "t-1", "t-2"], "handled once each, in order")
        #expect(try TimedRecord.readAll(setup.bootstrap, topic: "mission-events.dlq").isEmpty)
        #expect(Self.tierTopics.allSatisfy { (try? TimedRecord.readAll(setup.bootstrap, topic: $0).isEmpty) == true },
                "in-memory attempts sufficed: nothing parked")
    }

    @Test func inMemoryRetriesPauseOnlyTheirPartition() throws {
        // Two failing calls with a long backoff (1–2 s, then 2–4 s): the event's partition waits, paused;
        // events of other partitions produced meanwhile are handled at once, not after the retries.
        let counter = """
            [plugin]
            enabled = true

            [retry]
            attempts = 3
            backoff_ms = 2000
            backoff_max_ms = 4000

            [settings]
            flaky_id = "slow-1"
            flaky_failures = "2"

            """
        let setup = try setUp("retry-pause", broker: .mock, pluginFiles: ["counter": counter], fixtures: ["counter"])
        let daemon = try DaemonUnderTest(config: setup.config, brokers: setup.bootstrap, pluginDir: setup.plugins, dir: setup.dir)
        defer { daemon.child.stop() }
        try daemon.waitForAssignment(groups: 1)
        try Kcat.produce(setup.bootstrap, topic: "mission-events", lines: [("X", Self.envelope("slow-1")), ("X", Self.envelope("slow-2"))])
        // The rest comes once slow-1 has failed: a later batch, which a sleeping retry would hold back.
        try Harness.waitUntil("slow-1's first failure", timeout: 30, poll: 0.05) { daemon.child.log.contains("flaky by fixture (call 1") }
        let others = (0..<30).map { (key: "k\($0)", value: Self.envelope("other-\($0)")) }
        try Kcat.produce(setup.bootstrap, topic: "mission-events", lines: others)
        var outputs: [TimedRecord] = []
        try Harness.waitUntil("all 32 handled", timeout: 60, poll: 0.3) {
            outputs = try TimedRecord.readAll(setup.bootstrap, topic: "counter-events")
            return outputs.count >= 32
        }
        let time = Dictionary(outputs.map { ($0.value, $0.timestampMs) }, uniquingKeysWith: min)
        let slow = try #require(time["slow-1"])
        let sameKeyOthers = outputs.filter { $0.key != "X" }
        let partitionOfX = try #require(outputs.first { $0.key == "X" }).partition
        // Keys on other partitions than X's flowed while X's partition waited.
        let elsewhere = sameKeyOthers.filter { $0.partition != partitionOfX }
        #expect(!elsewhere.isEmpty)
        #expect(elsewhere.allSatisfy { $0.timestampMs < slow }, "other partitions did not wait for the in-memory retries")
        #expect(slow - (elsewhere.map(\.timestampMs).max() ?? 0) >= 1000, "slow-1 succeeded only after its backoffs")
        #expect(outputs.filter { $0.key == "X" }.sorted { $0.offset < $1.offset }.map(\.value) == ["slow-1", "slow-2"],
                "its partition kept its order")
        #expect(outputs.count == 32, "each handled once")
        let stats = try pluginStats(daemon, group: "counter-group")
        #expect(stats["retries"] as? Int == 2 && stats["parked"] as? Int == 0, "\(stats)")
    }

    @Test(arguments: RetryBroker.allCases)
    func parkedEventsKeepTheirKeysOrderAndExhaustedOnesAreDeadLettered(_ broker: RetryBroker) throws {
        // One in-memory attempt, then tiers of 1 s and 2 s: a handler failing twice succeeds on the 2 s tier.
        let counter = """
            [plugin]
            enabled = true

            [retry]
            attempts = 1
            tiers = ["1s", "2s"]
            keep_key_order = true

            [settings]
            flaky_id = "A-1"
            flaky_failures = "2"
            retry_id = "C-1"

            """
        let setup = try setUp("retry-tiers-\(broker)", broker: broker, pluginFiles: ["counter": counter], fixtures: ["counter"])
        let daemon = try DaemonUnderTest(config: setup.config, brokers: setup.bootstrap, pluginDir: setup.plugins, dir: setup.dir)
        defer { daemon.child.stop() }
        try daemon.waitForAssignment(groups: 1)
        // A and B interleaved; C-1 fails forever and C-2 waits behind it.
        var lines: [(key: String, value: String)] = []
        for i in 1...4 { lines += [("A", Self.envelope("A-\(i)")), ("B", Self.envelope("B-\(i)"))] }
        lines += [("C", Self.envelope("C-1")), ("C", Self.envelope("C-2"))]
        let producedAt = Int64(Date().timeIntervalSince1970 * 1000)
        try Kcat.produce(setup.bootstrap, topic: "mission-events", lines: lines)

        var outputs: [TimedRecord] = []
        try Harness.waitUntil("A, B and C-2 handled", timeout: 60, poll: 0.3) {
            outputs = try TimedRecord.readAll(setup.bootstrap, topic: "counter-events")
            return outputs.count >= 9
        }
        func handled(_ key: String) -> [String] { outputs.filter { $0.key == key }.sorted { $0.offset < $1.offset }.map(\.value) }
        #expect(handled("A") == ["A-1", "A-2", "A-3", "A-4"], "A's events in order, after A-1")
        #expect(handled("B") == ["B-1", "B-2", "B-3", "B-4"])
        #expect(handled("C") == ["C-2"], "C-2 released after C-1 was dead-lettered")
        let time = Dictionary(uniqueKeysWithValues: outputs.map { ($0.value, $0.timestampMs) })
        // B did not wait for A: all of B was handled before A-1 could leave its tiers (1 s + 2 s).
        #expect(time["B-4"]! < time["A-1"]!, "B flowed on while A-1 was parked")
        #expect(time["A-1"]! - producedAt >= 2500, "A-1 waited on both tiers")
        #expect(time["A-2"]! >= time["A-1"]!, "A-2 waited for A-1")

        var dead: [TimedRecord] = []
        try Harness.waitUntil("C-1 in the DLQ", timeout: 30, poll: 0.3) {
            dead = try TimedRecord.readAll(setup.bootstrap, topic: "mission-events.dlq")
            return !dead.isEmpty
        }
        #expect(dead.count == 1)
        let letter = try #require(dead.first)
        let source = try TimedRecord.readAll(setup.bootstrap, topic: "mission-events").first { $0.value.contains("\"C-1\"") }
        #expect(letter.value == Self.envelope("C-1"), "the original value, byte for byte")
        #expect(letter.key == "C")
        #expect(letter.headers["x-dlq-outcome"] == "retries-exhausted")
        #expect(letter.headers["x-dlq-attempts"] == "3", "one in-memory attempt and one per tier")
        #expect(letter.headers["x-dlq-original-topic"] == "mission-events", "the source topic, not the tier topic")
        #expect(letter.headers["x-dlq-original-offset"] == source.map { String($0.offset) })
        #expect(letter.headers["x-dlq-original-partition"] == source.map { String($0.partition) })
        #expect(letter.headers["x-dlq-plugin"] == "counter")
        #expect(letter.headers["x-dlq-handler"] == "mission.started")
        #expect(letter.headers["x-dlq-consumer-group"] == "counter-group")
        #expect(letter.headers["x-dlq-error"]?.contains("transient by fixture") == true)
        #expect(letter.headers.keys.allSatisfy { !$0.hasPrefix("x-retry-") }, "tier bookkeeping stays off the dead letter")
        if let first = letter.headers["x-dlq-first-failure"], let last = letter.headers["x-dlq-last-failure"] {
            let iso = ISO8601DateFormatter()
            iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let span = iso.date(from: last)!.timeIntervalSince(iso.date(from: first)!)
            #expect(span >= 2.5, "first and last failure span both tiers (\(span) s)")
        } else {
            Issue.record("first/last failure headers missing: \(letter.headers)")
        }

        // The tier topics carry the parked records with their bookkeeping.
        let tier1 = try TimedRecord.readAll(setup.bootstrap, topic: "mission-events.retry.1s")
        #expect(tier1.contains { $0.value == Self.envelope("A-1") && $0.headers["x-retry-group"] == "counter-group" && $0.headers["x-retry-plugin"] == "counter" })
        #expect(tier1.contains { $0.value == Self.envelope("A-2") && $0.headers["x-retry-behind"] == "1" }, "A-2 parked behind A-1")
        #expect(!tier1.contains { $0.key == "B" }, "B never parked")
        let tier2 = try TimedRecord.readAll(setup.bootstrap, topic: "mission-events.retry.2s")
        #expect(tier2.contains { $0.value == Self.envelope("A-1") && $0.headers["x-retry-attempts"] == "2" })

        try Harness.waitUntil("the counters settled", timeout: 10, poll: 0.3) {
            (try pluginStats(daemon, group: "counter-group")["handled"] as? Int) == 9
        }
        let stats = try pluginStats(daemon, group: "counter-group")
        #expect(stats["failed"] as? Int == 1, "C-1: \(stats)")
        #expect(daemon.child.stop() == 0)
        let state = try pluginState(daemon.stateDir, plugin: "counter")
        #expect(state["total"] == "9", "every handled event counted once")
        #expect(try storeRows(daemon.stateDir, plugin: "counter", table: "parked") == 0, "no key left parked")
    }

    @Test func parkedKeysSurviveKillMinusNine() throws {
        let txCounter = """
            [plugin]
            enabled = true

            [retry]
            attempts = 1
            tiers = ["3s", "4s"]

            [settings]
            flaky_id = "A-1"
            flaky_failures = "1"

            """
        let setup = try setUp("retry-kill", broker: .mock, pluginFiles: ["tx-counter": txCounter], fixtures: ["tx-counter"])
        var daemon = try DaemonUnderTest(config: setup.config, brokers: setup.bootstrap, pluginDir: setup.plugins, dir: setup.dir)
        try daemon.waitForAssignment(groups: 1)
        var lines: [(key: String, value: String)] = []
        for i in 1...4 { lines += [("A", Self.envelope("A-\(i)")), ("B", Self.envelope("B-\(i)"))] }
        try Kcat.produce(setup.bootstrap, topic: "mission-events", lines: lines)
        try Harness.waitUntil("A-1 parked with A-2..4 behind it, B handled", timeout: 30, poll: 0.1) {
            let stats = try pluginStats(daemon, group: "tx-counter-group")
            return stats["parked"] as? Int == 4 && stats["handled"] as? Int == 4
        }
        // Killed while A's events wait on the 3 s tier; the parked table must carry the order over.
        #expect(daemon.child.stop(SIGKILL) != 0)
        #expect(try storeRows(daemon.stateDir, plugin: "tx-counter", table: "parked") == 4)
        daemon = try DaemonUnderTest(config: setup.config, brokers: setup.bootstrap, pluginDir: setup.plugins, dir: setup.dir, run: 1)
        defer { daemon.child.stop() }
        var outputs: [TimedRecord] = []
        try Harness.waitUntil("all 8 follow-ups", timeout: 60, poll: 0.3) {
            outputs = try TimedRecord.readAll(setup.bootstrap, topic: "counter-events")
            return Set(outputs.map(\.value)).count >= 8
        }
        // The outbox relay publishes in commit order, so a key's follow-ups show its handling order.
        var seen: [String] = []
        for record in outputs.filter({ $0.key == "A" }).sorted(by: { $0.offset < $1.offset }) where !seen.contains(record.value) {
            seen.append(record.value)
        }
        #expect(seen == ["A-1", "A-2", "A-3", "A-4"], "A's order held across the crash")
        #expect(try TimedRecord.readAll(setup.bootstrap, topic: "mission-events.dlq").isEmpty)
        #expect(daemon.child.stop() == 0)
        let state = try pluginState(daemon.stateDir, plugin: "tx-counter")
        #expect(state["total"] == "8", "every effect once: \(state)")
        #expect(state.filter { $0.key.hasPrefix("seen/") }.values.allSatisfy { $0 == "1" })
        #expect(try storeRows(daemon.stateDir, plugin: "tx-counter", table: "parked") == 0, "every parked event released")
    }

    @Test func orderingCanBeSwitchedOffPerHandler() throws {
        let counter = """
            [plugin]
            enabled = true

            [retry]
            attempts = 1
            tiers = ["1s"]

            [retry.handlers."mission.started"]
            keep_key_order = false

            [settings]
            flaky_id = "A-1"
            flaky_failures = "1"

            """
        let setup = try setUp("retry-unordered", broker: .mock, pluginFiles: ["counter": counter], fixtures: ["counter"])
        let daemon = try DaemonUnderTest(config: setup.config, brokers: setup.bootstrap, pluginDir: setup.plugins, dir: setup.dir)
        defer { daemon.child.stop() }
        try Kcat.produce(setup.bootstrap, topic: "mission-events", lines: (1...3).map { ("A", Self.envelope("A-\($0)")) })
        var outputs: [TimedRecord] = []
        try Harness.waitUntil("A-1..3 handled", timeout: 60, poll: 0.3) {
            outputs = try TimedRecord.readAll(setup.bootstrap, topic: "counter-events")
            return outputs.count >= 3
        }
        #expect(outputs.sorted { $0.offset < $1.offset }.map(\.value) == ["A-2", "A-3", "A-1"],
                "without per-key order A-2 and A-3 do not wait for the parked A-1")
    }

    @Test func aHandlerOverItsDeadlineIsRetriedAndItsWritesRolledBack() throws {
        let txCounter = """
            [plugin]
            enabled = true

            [retry]
            handler_deadline_ms = 150

            [settings]
            slow_id = "s-1"
            slow_ms = "500"

            """
        let setup = try setUp("retry-deadline", broker: .mock, pluginFiles: ["tx-counter": txCounter], fixtures: ["tx-counter"])
        let daemon = try DaemonUnderTest(config: setup.config, brokers: setup.bootstrap, pluginDir: setup.plugins, dir: setup.dir)
        defer { daemon.child.stop() }
        try Kcat.produce(setup.bootstrap, topic: "mission-events", lines: [("k", Self.envelope("s-0")), ("k", Self.envelope("s-1"))])
        var stats: [String: Any] = [:]
        try Harness.waitUntil("2 events handled", timeout: 60, poll: 0.3) {
            stats = try pluginStats(daemon, group: "tx-counter-group")
            return stats["handled"] as? Int == 2
        }
        #expect(stats["retries"] as? Int == 1, "the slow call counted as a transient failure: \(stats)")
        try Harness.waitUntil("2 follow-ups", timeout: 30, poll: 0.3) {
            try TimedRecord.readAll(setup.bootstrap, topic: "counter-events").count >= 2
        }
        #expect(try TimedRecord.readAll(setup.bootstrap, topic: "counter-events").map(\.value).sorted() == ["s-0", "s-1"],
                "the late call's follow-up was rolled back with its writes")
        #expect(daemon.child.log.contains("over its deadline of 150 ms"))
        #expect(daemon.child.stop() == 0)
        let state = try pluginState(daemon.stateDir, plugin: "tx-counter")
        #expect(state["seen/s-1"] == "1" && state["total"] == "2", "the late call's writes were rolled back: \(state)")
    }
}
