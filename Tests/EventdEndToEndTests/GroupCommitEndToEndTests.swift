// Group commit: one partition batch with a reject and a retry among oks. The
// oks' effects land once, the rejected event is dead-lettered (its writes rolled
// back to its savepoint), and the retried one's effects appear once, when it succeeds.
import Foundation
import Testing

@Suite struct GroupCommitEndToEndTests {
    @Test func aRejectAndARetryAmongOksInOneBatchRollBackOnlyThemselves() throws {
        let txCounter = """
            [plugin]
            enabled = true

            [retry]
            attempts = 3
            backoff_ms = 300
            backoff_max_ms = 600

            [settings]
            reject_id = "gc-r"
            flaky_id = "gc-f"
            flaky_failures = "1"
            """
        let (daemon, _, _) = try DaemonUnderTest.embedded("group-commit", plugins: [], fixtures: ["tx-counter"],
                                                          pluginFiles: ["tx-counter": txCounter])
        defer { daemon.child.stop() }
        try daemon.waitForAssignment(groups: 1)
        // One key and one burst: one partition, one batch.
        let ids = ["gc-1", "gc-r", "gc-2", "gc-f", "gc-3"]
        try Kcat.produce(daemon.bootstrap, topic: "mission-events", lines: ids.map { id in
            ("k", #"{"eventId":"\#(id)","eventType":"mission.started","occurredAt":"2026-12-01T10:00:00Z"}"#)
        })
        var followUps: [ConsumedRecord] = []
        try Harness.waitUntil("four follow-ups", timeout: 60, poll: 0.3) {
            followUps = try Kcat.consumeAll(daemon.bootstrap, topic: "counter-events")
            return followUps.count >= 4
        }
        let dead = try Kcat.consumeAll(daemon.bootstrap, topic: "mission-events.dlq")
        #expect(followUps.map(\.value) == ["gc-1", "gc-2", "gc-f", "gc-3"], "each ok once, in order, the retried one after its retry")
        #expect(dead.map(\.value).count == 1 && dead.first?.headers["x-dlq-outcome"] == "rejected")
        #expect(dead.first.map { $0.value.contains("gc-r") } == true)
        let snapshot = try GroupSnapshot(daemon)
        #expect(snapshot.handled == 4)
        #expect(daemon.child.stop() == 0)
        let state = try pluginState(daemon.stateDir, plugin: "tx-counter")
        #expect(state["total"] == "4", "the rejected event's writes were rolled back; every other effect counted once: \(state)")
        let seen = state.filter { $0.key.hasPrefix("seen/gc-") }
        #expect(seen == ["seen/gc-1": "1", "seen/gc-2": "1", "seen/gc-f": "1", "seen/gc-3": "1"], "\(state)")
    }
}
