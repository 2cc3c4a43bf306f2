// The PostgreSQL store restarted mid-stream: the daemon reports degraded (status,
// STATUS=, metric), holds the partitions paused, dead-letters nothing, and
// recovers by itself with every effect once.
import Foundation
import Testing

@Suite(.serialized) struct PostgresFaultEndToEndTests {
    @Test func postgresRestartedMidStreamIsReportedWaitedOutAndNothingIsLostOrDeadLettered() throws {
        let count = 2000
        let dir = try Harness.temporaryDirectory("pgrestart")
        let broker = try StandaloneMock(dir: dir, topics: DeliveryEndToEndTests.topics)
        let database = try PostgresServer(dir: "\(dir)/pg")
        let notify = try NotifySocket(dir: dir)
        let config = try Harness.configuration(in: dir, replacing: database.storeReplacement + [(#"listen = """#, #"listen = "127.0.0.1:0""#)],
                                               pluginFiles: ["tx-counter": "[plugin]\nenabled = true\n"])
        let plugins = try Harness.pluginDirectory(in: dir, plugins: [], fixtures: ["tx-counter"])
        let daemon = try DaemonUnderTest(config: config, brokers: broker.bootstrap, pluginDir: plugins, dir: dir,
                                         environment: ["NOTIFY_SOCKET": notify.path])
        defer { daemon.child.stop(SIGKILL) }
        let metrics = try #require(daemon.metricsPort, "the daemon logs its metrics URL")
        func gauge() throws -> Double? { Scrape(try HTTP.get(port: metrics, path: "/metrics").1).value("devtrip_eventd_store_degraded", [:]) }
        func degraded() throws -> [String: Any]? {
            let result = try Eventctl.run(["status", "--json"], socket: daemon.socket).json()["result"] as? [String: Any]
            return result?["degraded"] as? [String: Any]
        }
        try daemon.waitForAssignment(groups: 1)
        #expect(try degraded() == nil && gauge() == 0)

        let lines = (0..<count).map { i in
            ("user-\(i % 40)", #"{"eventId":"pg-\#(i)","eventType":"mission.started","occurredAt":"2026-11-24T10:00:00Z"}"#)
        }
        let produced = Kcat.stream(lines, to: broker.bootstrap, pause: 0.3)
        try Harness.waitUntil("the stream to be under way", timeout: 30, poll: 0.1) { try GroupSnapshot(daemon).handled >= 300 }
        try database.stop()
        var reported: [String: Any] = [:]
        try Harness.waitUntil("status to report degraded", timeout: 20, poll: 0.2) {
            reported = try degraded() ?? [:]
            return !reported.isEmpty
        }
        #expect((reported["reason"] as? String)?.contains("store unreachable") == true, "\(reported)")
        try Harness.waitUntil("the gauge to say degraded", timeout: 5, poll: 0.1) { try gauge() == 1 }
        try Harness.waitUntil("STATUS= to say degraded", timeout: 5, poll: 0.1) {
            notify.states.last { $0.hasPrefix("STATUS=") }?.contains("DEGRADED") == true
        }
        #expect(!produced.isSet, "the restart must land mid-stream")
        // Down for 8 s: longer than every in-memory retry of the shipped policy.
        Thread.sleep(forTimeInterval: 8)
        #expect(try degraded() != nil, "still degraded while the database is down")
        try database.start()
        try Harness.waitUntil("the degraded state to clear", timeout: 30, poll: 0.25) { try degraded() == nil }
        try Harness.waitUntil("the gauge to clear", timeout: 5, poll: 0.1) { try gauge() == 0 }
        try Harness.waitUntil("STATUS= to clear", timeout: 5, poll: 0.1) {
            notify.states.last { $0.hasPrefix("STATUS=") }?.contains("DEGRADED") == false
        }
        try Harness.waitUntil("the producer", timeout: 90, poll: 0.2) { produced.isSet }
        try Harness.waitUntil("every event handled and published", timeout: 90, poll: 0.5) {
            try database.query("SELECT (SELECT count(*) FROM eventd_tx_counter.ledger), (SELECT count(*) FROM eventd_tx_counter.outbox)")
                == [["\(count)", "0"]]
        }
        #expect(daemon.child.stop(SIGTERM) == 0)
        let state = try database.pluginState("tx-counter")
        let seen = state.filter { $0.key.hasPrefix("seen/pg-") }
        #expect(seen.count == count, "every event handled")
        #expect(seen.filter { $0.value != "1" }.isEmpty, "state effects applied more than once")
        #expect(state["total"] == String(count), "the running total counts each event once")
        #expect(Set(try Kcat.consumeAll(broker.bootstrap, topic: "counter-events").map(\.value)).count == count, "every follow-up")
        #expect(try Kcat.consumeAll(broker.bootstrap, topic: "mission-events.dlq").isEmpty, "nothing dead-lettered")
        #expect(daemon.child.log.contains("RECOVERED: state stores reachable again"))
    }
}

extension DaemonUnderTest {
    /// The port of the metrics endpoint (`listen = "127.0.0.1:0"`), from the daemon's log.
    var metricsPort: Int? {
        guard let tail = child.log.range(of: "url=http://127.0.0.1:").map({ child.log[$0.upperBound...] }) else { return nil }
        return Int(tail.prefix { $0.isNumber })
    }
}
