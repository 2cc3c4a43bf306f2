// A retry attempt that fails while the daemon's retry policy still grants
// deliveries is handed back as `.retry` (the daemon's delay tiers schedule the
// next try); only the last delivery's failure counts and is published.
import AIEvaluation
import EventdPluginTesting
import Foundation
import Testing

@Suite struct ScheduledRetryTests {
    /// The record produced at `index` handed back as the daemon's delivery `attempt` with `left` attempts after it.
    func deliver(_ f: Fixture, _ index: Int, attempt: Int, left: Int) throws -> Outcome {
        let raw = f.host.produced[index]
        var event = try Produced(raw).asEvent(raw: raw)
        event.attempt = attempt
        event.attemptsLeft = left
        return f.host.handle(event)
    }

    @Test func aFailedRetryWithDeliveriesLeftIsHandedBackToTheDaemon() throws {
        let f = try Fixture()
        #expect(f.host.handle(missionCompleted()) == .ok)       // started, failed(1), retry.requested(2)
        let state = f.host.state
        let outcome = try deliver(f, 2, attempt: 1, left: 3)
        #expect(outcome == .retry("evaluation '\(evalM1)' attempt 2 (delivery 1): object 'u-1/m-1.json' not found"))
        #expect(f.host.produced.count == 3, "nothing published for a try the daemon repeats")
        #expect(f.host.state == state, "nothing written either")
        #expect(f.host.logs.contains { $0.message == "evaluation attempt failed; the daemon schedules it again" })
    }

    @Test func theLastDeliveryOfAFailedRetryCountsAsTheAttemptsFailure() throws {
        let f = try Fixture()
        #expect(f.host.handle(missionCompleted()) == .ok)
        for delivery in 1...3 { #expect(try deliver(f, 2, attempt: delivery, left: 4 - delivery) != .ok) }
        #expect(try deliver(f, 2, attempt: 4, left: 0) == .ok)
        let out = try f.produced(from: 3)
        #expect(out.map(\.eventType) == ["evaluation.retry.completed", "evaluation.failed", "evaluation.retry.requested"])
        #expect(out[1].payload["attempt"] == 2)
        #expect(out[1].payload["retryable"] == true)
        #expect(out[2].payload["attempt"] == 3)
        let record = try #require(try f.state("evaluation/\(evalM1)"))
        #expect(record["attempts"] == 2)
        guard case .array(let history)? = record["history"] else { Issue.record("no history"); return }
        #expect(history.map { $0["deliveries"] } == [nil, 4], "the first attempt is the completion itself")
        try f.expectStats(["failedAttempts": 2, "retriesAttempted": 1, "retriesRequested": 2])
    }

    @Test func aRetryThatSucceedsOnALaterDeliveryCompletesTheEvaluation() throws {
        let f = try Fixture()
        #expect(f.host.handle(missionCompleted()) == .ok)
        #expect(try deliver(f, 2, attempt: 1, left: 2) != .ok)
        try f.writeResult(tests: [("a", true)])
        #expect(try deliver(f, 2, attempt: 2, left: 1) == .ok)
        #expect(try f.produced(from: 3).map(\.eventType) == ["evaluation.retry.completed", "evaluation.completed", "notification.requested"])
        let record = try #require(try f.state("evaluation/\(evalM1)"))
        #expect(record["status"] == "completed")
        guard case .array(let history)? = record["history"] else { Issue.record("no history"); return }
        #expect(history.last?["deliveries"] == 2)
        try f.expectStats(["failedAttempts": 1, "retriesAttempted": 1, "retriesSucceeded": 1, "completed": 1])
    }

    @Test func theCompletionItselfIsNeverHandedBack() throws {
        // Attempt 1 publishes evaluation.started and registers the retry at once, whatever the daemon still grants.
        let f = try Fixture()
        var event = missionCompleted()
        event.attemptsLeft = 5
        #expect(f.host.handle(event) == .ok)
        #expect(try f.produced.map(\.eventType) == ["evaluation.started", "evaluation.failed", "evaluation.retry.requested"])
    }

    @Test func anOperatorsRetryIsScheduledByTheDaemonToo() throws {
        let f = try Fixture(settings: ["max_attempts": 1])
        #expect(f.host.handle(missionCompleted()) == .ok)       // finally failed at once
        var request = retryRequested(id: "operator-1", attempt: 2, reason: "object re-uploaded")
        request.attemptsLeft = 1
        #expect(f.host.handle(request) != .ok, "the object is still missing: the daemon tries it later")
        try f.writeResult(tests: [("a", true)])
        request.attempt = 2
        request.attemptsLeft = 0
        #expect(f.host.handle(request) == .ok)
        #expect(try f.produced(from: 3).map(\.eventType) == ["evaluation.retry.completed", "evaluation.completed", "notification.requested"])
        #expect(try f.state("evaluation/\(evalM1)")?["status"] == "completed")
    }
}
