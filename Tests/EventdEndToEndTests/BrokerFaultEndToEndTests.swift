// Broker faults mid-stream with a transactional plugin (tx-counter): a broker
// down for 30 s (the daemon reports degraded state while it waits and recovers
// on its own), and failing requests with a leader change; every state effect
// once and every follow-up delivered either way.
import Foundation
import Testing

/// The standalone mock cluster, driven through its stdin (Benchmarks/mockbroker: down, up, errors, leader...).
final class FaultInjectingMock: @unchecked Sendable {
    let child: ChildProcess
    let bootstrap: String
    private let input = Pipe()
    private var sent = 0

    /// - Parameter environment: more for the mock (MOCKBROKER_LISTEN_HOST puts it behind a TLS proxy).
    init(dir: String, partitions: Int = 6, brokers: Int = 1, topics: [String], environment extra: [String: String] = [:]) throws {
        let binary = "\(Harness.fixtureStage)/mockbroker"
        guard FileManager.default.fileExists(atPath: binary) else { throw HarnessError("\(binary) missing: run `make fixtures`") }
        var environment = ProcessInfo.processInfo.environment
        environment["MOCKBROKER_BROKERS"] = String(brokers)
        environment.merge(extra) { _, new in new }
        let process = try ChildProcess(binary, ["\(partitions)"] + topics, logPath: "\(dir)/mockbroker.log",
                                       environment: environment, input: input)
        var address = ""
        try Harness.waitUntil("the mock broker's address", timeout: 10, poll: 0.05) {
            address = process.log.split(separator: "\n").map(String.init).first { $0.hasPrefix("127.0.0.1:") } ?? ""
            return !address.isEmpty
        }
        child = process
        bootstrap = address
    }

    /// Sends one command and waits for its answer.
    /// - Throws: when the mock answers with an error.
    func command(_ line: String) throws {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
        sent += 1
        var answer = ""
        try Harness.waitUntil("the mock's answer to '\(line)'", timeout: 10, poll: 0.02) {
            let answers = child.log.split(separator: "\n").filter { $0 == "ok" || $0.hasPrefix("error ") }
            guard answers.count >= sent else { return false }
            answer = String(answers[sent - 1])
            return true
        }
        guard answer == "ok" else { throw HarnessError("mockbroker \(line): \(answer)") }
    }

    deinit {
        try? input.fileHandleForWriting.close()
        child.stop()
    }
}

@Suite(.serialized) struct BrokerFaultEndToEndTests {
    func events(_ count: Int, prefix: String) -> [(key: String, value: String)] {
        (0..<count).map { i in
            ("user-\(i % 40)", #"{"eventId":"\#(prefix)-\#(i)","eventType":"mission.started","occurredAt":"2026-11-24T10:00:00Z"}"#)
        }
    }

    /// The `degraded` member of `status --json` (NSNull while the brokers are reachable).
    func degraded(_ daemon: DaemonUnderTest) throws -> [String: Any]? {
        let result = try Eventctl.run(["status", "--json"], socket: daemon.socket).json()["result"] as? [String: Any]
        #expect(result?.keys.contains("degraded") == true)
        return result?["degraded"] as? [String: Any]
    }

    /// Waits until the shared ledger has every event and the outbox is empty, stops the daemon,
    /// and checks every state effect once and every follow-up present. Returns the follow-up records.
    @discardableResult
    func expectEveryEffectOnce(_ daemon: DaemonUnderTest, broker: String, count: Int, prefix: String) throws -> [ConsumedRecord] {
        try Harness.waitUntil("every event handled and published", timeout: 90, poll: 0.5) {
            try storeRows(daemon.stateDir, plugin: "tx-counter", table: "ledger") == count
                && storeRows(daemon.stateDir, plugin: "tx-counter", table: "outbox") == 0
        }
        #expect(daemon.child.stop(SIGTERM) == 0)
        let state = try pluginState(daemon.stateDir, plugin: "tx-counter")
        let seen = state.filter { $0.key.hasPrefix("seen/\(prefix)-") }
        #expect(seen.count == count, "every event handled")
        let repeated = seen.filter { $0.value != "1" }
        #expect(repeated.isEmpty, "state effects applied more than once: \(repeated.prefix(5))")
        #expect(state["total"] == String(count), "the running total counts each event once")
        let followUps = try Kcat.consumeAll(broker, topic: "counter-events")
        #expect(Set(followUps.map(\.value)).count == count, "every follow-up reached the broker")
        #expect(try Kcat.consumeAll(broker, topic: "mission-events.dlq").isEmpty, "nothing dead-lettered")
        return followUps
    }

    @Test func aBrokerDownForThirtySecondsMidStreamIsReportedAndSurvived() throws {
        let count = 3000
        let dir = try Harness.temporaryDirectory("brokerdown")
        let broker = try FaultInjectingMock(dir: dir, topics: DeliveryEndToEndTests.topics)
        let notify = try NotifySocket(dir: dir)
        let config = try Harness.configuration(in: dir, replacing: [(#"listen = """#, #"listen = "127.0.0.1:0""#)],
                                               pluginFiles: ["tx-counter": "[plugin]\nenabled = true\n"])
        let plugins = try Harness.pluginDirectory(in: dir, plugins: [], fixtures: ["tx-counter"])
        let daemon = try DaemonUnderTest(config: config, brokers: broker.bootstrap, pluginDir: plugins, dir: dir,
                                         environment: ["NOTIFY_SOCKET": notify.path])
        defer { daemon.child.stop(SIGKILL) }
        let port = try #require(daemon.child.log.components(separatedBy: "url=http://127.0.0.1:").dropFirst().first
            .flatMap { Int($0.prefix { $0.isNumber }) })
        func gauge() throws -> Double? { Scrape(try HTTP.get(port: port, path: "/metrics").1).value("devtrip_eventd_kafka_degraded", [:]) }
        try daemon.waitForAssignment(groups: 1)
        #expect(try degraded(daemon) == nil)
        #expect(try gauge() == 0)

        let produced = Kcat.stream(events(count, prefix: "down"), to: broker.bootstrap, pause: 0.3)
        try Harness.waitUntil("the stream to be under way", timeout: 30, poll: 0.1) { try GroupSnapshot(daemon).handled >= 500 }
        try broker.command("down 1")
        let downAt = Date()

        var reported: [String: Any] = [:]
        try Harness.waitUntil("status to report degraded", timeout: 20, poll: 0.25) {
            reported = try degraded(daemon) ?? [:]
            return !reported.isEmpty
        }
        let detected = Date().timeIntervalSince(downAt)
        #expect((reported["reason"] as? String)?.isEmpty == false)
        #expect(reported["since"] is String)
        #expect(try Eventctl.run(["status"], socket: daemon.socket).stdout.contains("kafka:     DEGRADED since"))
        // The gauge and STATUS= follow the state a moment later (off the thread that noticed).
        try Harness.waitUntil("the gauge to say degraded", timeout: 5, poll: 0.1) { try gauge() == 1 }
        try Harness.waitUntil("STATUS= to say degraded", timeout: 5, poll: 0.1) {
            notify.states.last { $0.hasPrefix("STATUS=") }?.contains("DEGRADED") == true
        }
        #expect(!produced.isSet, "the outage must land mid-stream")

        Thread.sleep(until: downAt.addingTimeInterval(30))
        #expect(try degraded(daemon) != nil, "still degraded after 30 s down")
        try broker.command("up 1")
        let upAt = Date()
        try Harness.waitUntil("the degraded state to clear", timeout: 30, poll: 0.25) { try degraded(daemon) == nil }
        let recovered = Date().timeIntervalSince(upAt)
        #expect(try Eventctl.run(["status"], socket: daemon.socket).stdout.contains("kafka:     ok"))
        try Harness.waitUntil("the gauge to clear", timeout: 5, poll: 0.1) { try gauge() == 0 }
        try Harness.waitUntil("STATUS= to clear", timeout: 5, poll: 0.1) {
            notify.states.last { $0.hasPrefix("STATUS=") }?.contains("DEGRADED") == false
        }

        try Harness.waitUntil("the producer", timeout: 90, poll: 0.2) { produced.isSet }
        let followUps = try expectEveryEffectOnce(daemon, broker: broker.bootstrap, count: count, prefix: "down")
        let log = daemon.child.log
        #expect(log.components(separatedBy: "DEGRADED: Kafka brokers unreachable").count - 1 == 1, "one loud line on entering")
        #expect(log.components(separatedBy: "RECOVERED: Kafka brokers reachable again").count - 1 == 1, "one on leaving")
        print("""
            broker down 30 s: degraded reported \(String(format: "%.1f", detected)) s after the broker went down \
            (\(reported["reason"] ?? "-")), cleared \(String(format: "%.1f", recovered)) s after it came back; \
            \(followUps.count) follow-up records for \(count) events
            """)
    }

    @Test func requestErrorsAndALeaderChangeMidStreamLoseAndRepeatNothing() throws {
        let count = 2000
        let dir = try Harness.temporaryDirectory("reqerrors")
        let broker = try FaultInjectingMock(dir: dir, brokers: 3, topics: DeliveryEndToEndTests.topics)
        let config = try Harness.configuration(in: dir, pluginFiles: ["tx-counter": "[plugin]\nenabled = true\n"])
        let plugins = try Harness.pluginDirectory(in: dir, plugins: [], fixtures: ["tx-counter"])
        let daemon = try DaemonUnderTest(config: config, brokers: broker.bootstrap, pluginDir: plugins, dir: dir)
        defer { daemon.child.stop(SIGKILL) }
        try daemon.waitForAssignment(groups: 1)

        let produced = Kcat.stream(events(count, prefix: "err"), to: broker.bootstrap, pause: 0.2)
        try Harness.waitUntil("the stream to be under way", timeout: 30, poll: 0.1) { try GroupSnapshot(daemon).handled >= 300 }
        for command in [
            "errors Produce NOT_LEADER_FOR_PARTITION 4",   // the relay's (and kcat's) produce retries
            "errors Produce REQUEST_TIMED_OUT 2",
            "errors Fetch NOT_LEADER_FOR_PARTITION 4",     // the consumer refreshes metadata and fetches again
            "errors OffsetCommit NOT_COORDINATOR 3",       // the commit finds the coordinator again
            "errors Heartbeat REBALANCE_IN_PROGRESS 1",    // a rebalance: uncommitted events come again
            "leader mission-events 0 2",
            "leader counter-events 1 3",
        ] { try broker.command(command) }
        #expect(!produced.isSet, "the faults must land mid-stream")
        try Harness.waitUntil("the producer", timeout: 60, poll: 0.2) { produced.isSet }
        let followUps = try expectEveryEffectOnce(daemon, broker: broker.bootstrap, count: count, prefix: "err")
        print("request errors: \(followUps.count) follow-up records for \(count) events")
    }

    @Test func aNoidaBrokerRestartedOnItsDataMidStreamLosesAndRepeatsNothing() throws {
        let count = 2000
        let dir = try Harness.temporaryDirectory("noidarestart")
        guard let binary = Harness.noidaBinary, FileManager.default.fileExists(atPath: binary) else {
            throw HarnessError("noida-db is not installed: run `make deps` (make test does)")
        }
        let port = try Harness.freePort()
        let bootstrap = "127.0.0.1:\(port)"
        // The same port and data directory each time: a broker restart, as clients see it. Children of
        // the test runner inherit its blocked signals (SIGTERM among them); perl clears the mask so
        // that the broker stops on SIGTERM as under a service manager.
        func startBroker(_ run: Int) throws -> ChildProcess {
            let unblocked = ["-MPOSIX", "-e", "sigprocmask(SIG_SETMASK, POSIX::SigSet->new); exec @ARGV or die", binary]
            let child = try ChildProcess("/usr/bin/perl", unblocked + ["start", "--only", "kafka", "--kafka-port", "\(port)", "--data-dir", "\(dir)/noida"],
                                         logPath: "\(dir)/noida-\(run).log")
            try Harness.waitUntil("noida-db to listen on \(port)", timeout: 20) {
                guard child.isRunning else { throw HarnessError("noida-db exited: \(child.log)") }
                return Kcat.canConnect(bootstrap)
            }
            return child
        }
        var noida = try startBroker(0)
        defer { noida.stop() }
        let config = try Harness.configuration(in: dir, replacing: [
            ("create_topics = false", "create_topics = true"),
            ("create_replication_factor = 3", "create_replication_factor = 1"),
        ], pluginFiles: ["tx-counter": "[plugin]\nenabled = true\n"])
        let plugins = try Harness.pluginDirectory(in: dir, plugins: [], fixtures: ["tx-counter"])
        let daemon = try DaemonUnderTest(config: config, brokers: bootstrap, pluginDir: plugins, dir: dir)
        defer { daemon.child.stop(SIGKILL) }
        try daemon.waitForAssignment(groups: 1)

        let produced = Kcat.stream(events(count, prefix: "restart"), to: bootstrap, pause: 0.4)
        try Harness.waitUntil("the stream to be under way", timeout: 30, poll: 0.1) { try GroupSnapshot(daemon).handled >= 300 }
        #expect(noida.stop(SIGTERM) == 0)
        Thread.sleep(forTimeInterval: 2)
        noida = try startBroker(1)
        #expect(!produced.isSet, "the restart must land mid-stream")
        try Harness.waitUntil("the producer", timeout: 60, poll: 0.2) { produced.isSet }
        // Degraded while the broker was away, and recovered on its own.
        try Harness.waitUntil("the degraded state to clear", timeout: 20, poll: 0.25) { try degraded(daemon) == nil }
        #expect(daemon.child.log.contains("DEGRADED: Kafka brokers unreachable"))
        let followUps = try expectEveryEffectOnce(daemon, broker: bootstrap, count: count, prefix: "restart")
        print("noida-db restart: \(followUps.count) follow-up records for \(count) events")
    }
}
