// evaluation.retry.requested: the retry chain up to the final failure, a
// successful retry, and the rejects and ignores of unexpected requests.
import AIEvaluation
import EventdPluginTesting
import Foundation
import Testing

@Suite struct RetryChainTests {
    let ids: JSON = ["userId": "u-1", "missionId": "m-1", "evaluationId": .string(evalM1)]

    func payload(_ extra: [String: JSON]) -> JSON {
        guard case .object(var base) = ids else { return ids }
        base.merge(extra) { $1 }
        return .object(base)
    }

    @Test func retriesUntilMaxAttemptsThenFailsFinally() throws {
        let f = try Fixture()
        let reason: JSON = "object 'u-1/m-1.json' not found"
        #expect(f.host.handle(missionCompleted()) == .ok)
        #expect(f.host.produced.count == 3)

        // Attempt 2: the plugin's own retry request comes back.
        let request2 = try Produced(f.host.produced[2])
        #expect(request2.topic == "evaluation-events")
        #expect(f.host.handle(request2.asEvent(raw: f.host.produced[2])) == .ok)
        let second = try f.produced(from: 3)
        #expect(second.map(\.eventType) == ["evaluation.retry.completed", "evaluation.failed", "evaluation.retry.requested"])
        #expect(second.map(\.topic) == ["evaluation-events", "evaluation-events", "evaluation-events"])
        #expect(second.map(\.eventId) == (0..<3).map { f.host.produced[2].followUp($0, id: request2.eventId) })
        #expect(second[0].payload == payload(["attempt": 2, "succeeded": false]))
        #expect(second[1].payload == payload(["attempt": 2, "retryable": true, "reason": reason]))
        #expect(second[2].payload == payload(["attempt": 3, "reason": reason]))
        #expect(try f.state("evaluation/\(evalM1)")?["attempts"] == 2)
        #expect(try f.state("evaluation/\(evalM1)")?["status"] == "retrying")

        // Attempt 3 = max_attempts: final failure and the user is told.
        #expect(try f.feedBack(5) == .ok)
        let third = try f.produced(from: 6)
        #expect(third.map(\.eventType) == ["evaluation.retry.completed", "evaluation.failed", "notification.requested"])
        #expect(third.map(\.topic) == ["evaluation-events", "evaluation-events", "notification-events"])
        #expect(third[0].payload == payload(["attempt": 3, "succeeded": false]))
        #expect(third[1].payload == payload(["attempt": 3, "retryable": false, "reason": reason]))
        #expect(third[2].payload == ["userId": "u-1", "channel": "email", "template": "evaluation.failed",
                                     "data": ["evaluationId": .string(evalM1), "missionId": "m-1", "reason": reason, "attempts": "3"]])
        #expect(f.host.produced.count == 9)

        let record = try #require(try f.state("evaluation/\(evalM1)"))
        #expect(record["status"] == "failed")
        #expect(record["attempts"] == 3)
        guard case .array(let history)? = record["history"] else { Issue.record("no history"); return }
        #expect(history.map { $0["attempt"] } == [1, 2, 3])
        #expect(history.map { $0["succeeded"] } == [false, false, false])
        #expect(history.map { $0["eventId"] } == ["evt-1", .string(request2.eventId), .string(try Produced(f.host.produced[5]).eventId)])
        try f.expectStats(["started": 1, "failedAttempts": 3, "retriesRequested": 2, "retriesAttempted": 2, "retriesSucceeded": 0,
                           "finalFailures": 1, "completed": 0])

        // Nothing more is requested: a stale copy of a request is ignored.
        #expect(try f.feedBack(5) == .ok)
        #expect(f.host.produced.count == 9)
    }

    @Test func theRetryChainKeepsTheFirstEventsCorrelationAndTrace() throws {
        let f = try Fixture()
        #expect(f.host.handle(missionCompleted()) == .ok)       // hop 1: started, failed, retry.requested(2)
        #expect(try f.feedBack(2) == .ok)                        // hop 2: retry.completed, failed, retry.requested(3)
        #expect(try f.feedBack(5) == .ok)                        // hop 3: retry.completed, failed, notification
        let out = try f.produced
        let trace = try #require(out[0].traceparent.flatMap(TraceContext.init))
        #expect(out.allSatisfy { $0.correlationId == "evt-1" }, "\(out.map(\.correlationId))")
        #expect(out[0..<3].allSatisfy { $0.causationId == "evt-1" })
        #expect(out[3..<6].allSatisfy { $0.causationId == out[2].eventId })
        #expect(out[6..<9].allSatisfy { $0.causationId == out[5].eventId })
        let traces = out.compactMap { $0.traceparent.flatMap(TraceContext.init) }
        #expect(traces.count == 9 && traces.allSatisfy { $0.traceId == trace.traceId })
        #expect(Set(traces.map(\.spanId)).count == 9, "a span of its own per follow-up")
    }

    @Test func aRetryThatFindsTheObjectCompletesTheEvaluation() throws {
        let f = try Fixture()
        #expect(f.host.handle(missionCompleted()) == .ok)
        try f.writeResult(tests: [("a", true), ("b", true)], lintWarnings: 1)
        #expect(try f.feedBack(2) == .ok)
        let out = try f.produced(from: 3)
        #expect(out.map(\.eventType) == ["evaluation.retry.completed", "evaluation.completed", "notification.requested"])
        #expect(out.map(\.topic) == ["evaluation-events", "evaluation.completed", "notification-events"])
        #expect(out[0].payload == payload(["attempt": 2, "succeeded": true, "score": 98]))
        #expect(out[1].payload == payload(["score": 98, "passed": true,
                                           "feedback": "2/2 tests passed. 1 lint warning (-2). Score 98/100 (pass mark 70). Passed."]))
        #expect(out[2].payload["template"] == "evaluation.completed")
        let record = try #require(try f.state("evaluation/\(evalM1)"))
        #expect(record["status"] == "completed")
        #expect(record["attempts"] == 2)
        #expect(record["score"] == 98)
        #expect(record["lastReason"] == "object 'u-1/m-1.json' not found")
        let stats = try #require(try f.state("global/stats"))
        #expect(stats["completed"] == 1)
        #expect(stats["retriesSucceeded"] == 1)
        #expect(stats["failedAttempts"] == 1)
        #expect(stats["lastScore"] == 98)

        // A later request for a completed evaluation is ignored.
        #expect(f.host.handle(retryRequested(id: "late", attempt: 3)) == .ok)
        #expect(f.host.produced.count == 6)
        #expect(f.host.logs.contains { $0.message.contains("already completed") })
    }

    @Test func aCorruptObjectFixedBeforeTheRetryCompletes() throws {
        let f = try Fixture()
        try f.write("u-1/m-1.json", "garbage")
        #expect(f.host.handle(missionCompleted()) == .ok)
        #expect(try f.produced[1].payload["reason"] == "object 'u-1/m-1.json' is corrupt: it is not valid JSON")
        try f.writeResult(tests: [("a", true)])
        #expect(try f.feedBack(2) == .ok)
        #expect(try f.produced(from: 3).map(\.eventType) == ["evaluation.retry.completed", "evaluation.completed", "notification.requested"])
    }

    @Test func withOneAttemptTheFirstFailureIsFinal() throws {
        let f = try Fixture(settings: ["max_attempts": 1])
        #expect(f.host.handle(missionCompleted()) == .ok)
        let out = try f.produced
        #expect(out.map(\.eventType) == ["evaluation.started", "evaluation.failed", "notification.requested"])
        #expect(out[1].payload["retryable"] == false)
        #expect(out[1].payload["attempt"] == 1)
        #expect(out[2].payload["template"] == "evaluation.failed")
        #expect(try f.state("evaluation/\(evalM1)")?["status"] == "failed")
        #expect(try f.state("stats/u-1")?["finalFailures"] == 1)
    }

    @Test func aManualRetryAfterTheFinalFailureIsHonoured() throws {
        let f = try Fixture(settings: ["max_attempts": 1])
        #expect(f.host.handle(missionCompleted()) == .ok)
        try f.writeResult(tests: [("a", true)])
        #expect(f.host.handle(retryRequested(id: "operator-1", attempt: 2, reason: "object re-uploaded")) == .ok)
        let out = try f.produced(from: 3)
        #expect(out.map(\.eventType) == ["evaluation.retry.completed", "evaluation.completed", "notification.requested"])
        #expect(out[0].eventId == retryRequested(id: "operator-1").followUpID(0, plugin: "ai-evaluation"))
        #expect(try f.state("evaluation/\(evalM1)")?["status"] == "completed")
    }

    @Test func aManualRetryThatFailsAgainIsFinalAgain() throws {
        let f = try Fixture(settings: ["max_attempts": 1])
        #expect(f.host.handle(missionCompleted()) == .ok)
        #expect(f.host.handle(retryRequested(id: "operator-1", attempt: 2)) == .ok)
        let out = try f.produced(from: 3)
        #expect(out.map(\.eventType) == ["evaluation.retry.completed", "evaluation.failed", "notification.requested"])
        #expect(out[1].payload["retryable"] == false)
        #expect(out[1].payload["attempt"] == 2)
    }
}

@Suite struct RetryRequestValidationTests {
    /// A fixture with one evaluation waiting for attempt 2.
    func retrying() throws -> Fixture {
        let f = try Fixture()
        #expect(f.host.handle(missionCompleted()) == .ok)
        return f
    }

    @Test func aRequestForAnUnknownEvaluationIsRejected() throws {
        let f = try Fixture()
        #expect(f.host.handle(retryRequested()) ==
            .reject("evaluation.retry.requested: no evaluation '\(evalM1)' is recorded (its mission.completed was never handled here)"))
        #expect(f.host.produced.isEmpty)
        #expect(f.host.state.isEmpty)
    }

    @Test func aRequestSkippingAnAttemptIsRejected() throws {
        let f = try retrying()
        #expect(f.host.handle(retryRequested(attempt: 4)) ==
            .reject("evaluation.retry.requested: attempt 4 of '\(evalM1)' does not follow the recorded attempt 1"))
        #expect(f.host.produced.count == 3)
    }

    @Test func aStaleRequestIsIgnored() throws {
        let f = try retrying()
        let state = f.host.state
        #expect(try f.feedBack(2) == .ok)      // attempt 2 runs
        #expect(try f.feedBack(2) == .ok)      // the same request again: stale, ignored
        #expect(f.host.produced.count == 6)
        #expect(f.host.state != state)
        #expect(f.host.logs.contains { $0.message == "stale retry request ignored" })
    }

    @Test func aRequestOfAnotherUserIsRejected() throws {
        let f = try retrying()
        #expect(f.host.handle(retryRequested(userId: "u-2")) ==
            .reject("evaluation.retry.requested: evaluation '\(evalM1)' belongs to user 'u-1', not 'u-2'"))
    }

    @Test func anEvaluationIdNotOfTheMissionIsRejected() throws {
        let f = try retrying()
        #expect(f.host.handle(retryRequested(missionId: "m-2")) ==
            .reject("evaluation.retry.requested: evaluation '\(evalM1)' is of mission 'm-1', not 'm-2'"))
        #expect(f.host.handle(retryRequested(evaluationId: "eval-m-1")) ==
            .reject("evaluation.retry.requested: no evaluation 'eval-m-1' is recorded (its mission.completed was never handled here)"))
    }

    @Test(arguments: [
        (#""attempt":"2","reason":"r""#, "field 'payload.attempt' must be an integer"),
        (#""attempt":2"#, "missing field 'payload.reason'"),
        (#""attempt":0,"reason":"r""#, "field 'payload.attempt' must be at least 2 (attempt 1 is the evaluation itself), got 0"),
        (#""attempt":2,"reason":null"#, "field 'payload.reason' must be a string, not null"),
    ])
    func malformedRequestsAreRejectedPrecisely(fields: String, message: String) throws {
        let f = try retrying()
        let value = #"{"eventId":"bad","eventType":"evaluation.retry.requested","occurredAt":"2024-05-01T10:00:00Z","#
            + #""subject":"u-1","payload":{"userId":"u-1","missionId":"m-1","evaluationId":"eval-m-1",\#(fields)}}"#
        #expect(f.host.handle(rawEvent(value, name: "evaluation.retry.requested")) == .reject("evaluation.retry.requested: \(message)"))
        #expect(f.host.produced.count == 3)
    }

    @Test(arguments: [
        (#"{"userId":"u-1","evaluationId":"eval-m-1","attempt":2,"reason":"r"}"#, "missing field 'payload.missionId'"),
        (#"{"userId":"u-1","missionId":"","evaluationId":"eval-","attempt":2,"reason":"r"}"#, "field 'payload.missionId' must not be empty"),
        (#"{"userId":"","missionId":"m-1","evaluationId":"eval-m-1","attempt":2,"reason":"r"}"#, "field 'payload.userId' must not be empty"),
    ])
    func requestsWithMissingOrEmptyIdsAreRejected(payload: String, message: String) throws {
        let f = try retrying()
        let value = #"{"eventId":"bad","eventType":"evaluation.retry.requested","occurredAt":"2024-05-01T10:00:00Z","payload":\#(payload)}"#
        #expect(f.host.handle(rawEvent(value, name: "evaluation.retry.requested")) == .reject("evaluation.retry.requested: \(message)"))
    }
}

extension ProducedEvent {
    /// The id the plugin gives the `n`-th follow-up of the event `id` this record became.
    func followUp(_ n: Int, id: String) -> String {
        Event(topic: topic, value: value, name: "", id: id, consumerGroup: "").followUpID(n, plugin: "ai-evaluation")
    }
}
