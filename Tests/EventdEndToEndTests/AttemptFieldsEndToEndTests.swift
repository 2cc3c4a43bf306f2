// Each handler call learns which attempt it is and how many the daemon still
// makes after a retry (dte_event.attempt / attempts_left): counted over the
// in-memory attempts and the delay tiers, 0 left on the call whose retry
// dead-letters the event. The counter fixture answers "attempt <n>; <m> left"
// (no comma: kcat lists headers comma-separated).
import Foundation
import Testing

extension RetryEndToEndTests {
    @Test func everyCallKnowsItsAttemptAndTheAttemptsLeft() throws {
        let counter = """
            [plugin]
            enabled = true

            [retry]
            attempts = 2
            tiers = ["1s", "2s"]

            [settings]
            attempts_id = "T-1"

            """
        let setup = try setUp("retry-attempt-fields", broker: .mock, pluginFiles: ["counter": counter], fixtures: ["counter"])
        let daemon = try DaemonUnderTest(config: setup.config, brokers: setup.bootstrap, pluginDir: setup.plugins, dir: setup.dir)
        defer { daemon.child.stop() }
        try Kcat.produce(setup.bootstrap, topic: "mission-events", lines: [("T", Self.envelope("T-1"))])
        var dead: [TimedRecord] = []
        try Harness.waitUntil("T-1 in the DLQ", timeout: 60, poll: 0.3) {
            dead = try TimedRecord.readAll(setup.bootstrap, topic: "mission-events.dlq")
            return !dead.isEmpty
        }
        // Two in-memory attempts, then one per tier: 4 calls, told 3, 2, 1 and 0 attempts left.
        #expect(daemon.child.log.contains("error=attempt 1; 3 left"), "the first in-memory attempt")
        let firstTier = try TimedRecord.readAll(setup.bootstrap, topic: "mission-events.retry.1s")
        let secondTier = try TimedRecord.readAll(setup.bootstrap, topic: "mission-events.retry.2s")
        #expect(firstTier.map { $0.headers["x-retry-error"] } == ["attempt 2; 2 left"])
        #expect(secondTier.map { $0.headers["x-retry-error"] } == ["attempt 3; 1 left"])
        #expect(dead.map { $0.headers["x-dlq-error"] } == ["attempt 4; 0 left"])
        #expect(dead.first?.headers["x-dlq-attempts"] == "4")
    }
}
