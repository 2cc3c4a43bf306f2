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
        let probe = try StoreHealthProbe(daemon, notify: notify)
        try daemon.waitForAssignment(groups: 1)
        #expect(try probe.degraded() == nil && probe.gauge() == 0)

        let lines = (0..<count).map { i in
            ("user-\(i % 40)", #"{"eventId":"pg-\#(i)","eventType":"mission.started","occurredAt":"2026-11-24T10:00:00Z"}"#)
        }
        let produced = Kcat.stream(lines, to: broker.bootstrap, pause: 0.3)
        try Harness.waitUntil("the stream to be under way", timeout: 30, poll: 0.1) { try GroupSnapshot(daemon).handled >= 300 }
        try database.stop()
        let reported = try probe.waitDegraded()
        #expect((reported["reason"] as? String)?.contains("store unreachable") == true, "\(reported)")
        #expect(!produced.isSet, "the restart must land mid-stream")
        // Down for 8 s: longer than every in-memory retry of the shipped policy.
        Thread.sleep(forTimeInterval: 8)
        #expect(try probe.degraded() != nil, "still degraded while the database is down")
        try database.start()
        try probe.waitCleared()
        try Harness.waitUntil("the producer", timeout: 90, poll: 0.2) { produced.isSet }
        try database.expectTxCounterHandledOnce(count: count, idPrefix: "pg-", daemon: daemon, broker: broker.bootstrap)
    }
}

extension DaemonUnderTest {
    /// The port of the metrics endpoint (`listen = "127.0.0.1:0"`), from the daemon's log.
    var metricsPort: Int? {
        guard let tail = child.log.range(of: "url=http://127.0.0.1:").map({ child.log[$0.upperBound...] }) else { return nil }
        return Int(tail.prefix { $0.isNumber })
    }
}
