import Auth
import EventdPluginTesting
import Testing

@Suite struct EvaluationStartedTests {
    @Test func startedUpdatesActivityHistoryAndCount() throws {
        let f = try Fixture()
        #expect(f.send("evaluation.started", id: "e-1", at: time(10), payload: evaluationStarted("m-1")) == .ok)
        #expect(f.send("evaluation.started", id: "e-2", at: time(20), payload: evaluationStarted("m-2")) == .ok)
        let stats = try #require(f.doc("evaluation/u-1"))
        #expect(stats["startedCount"] as? Int == 2)
        #expect(stats["lastActivityAt"] as? String == TestTime(20).written)
        #expect(stats["lastActivity"] as? String == "evaluation.started eval-m-2")
        let history = try #require(stats["history"] as? [[String: Any]])
        #expect(history.map { $0["evaluationId"] as? String } == ["eval-m-1", "eval-m-2"])
        #expect(history[0]["missionId"] as? String == "m-1")
        #expect(history[0]["startedAt"] as? String == TestTime(10).written)
        #expect(f.produced.isEmpty)
        #expect(f.auditActions("evaluation") == ["evaluation-started", "evaluation-started"])
        #expect(f.auditEntries("evaluation")[1]["detail"] as? [String: String] ==
                ["evaluationId": "eval-m-2", "missionId": "m-2", "startedCount": "2"])
    }

    @Test func historyIsBoundedAndLateEventsDoNotMoveActivityBack() throws {
        let f = try Fixture(settings: #"{"history_size":2}"#)
        for i in 1...3 { f.send("evaluation.started", id: "e-\(i)", at: time(i * 10), payload: evaluationStarted("m-\(i)")) }
        f.send("evaluation.started", id: "e-4", at: time(5), payload: evaluationStarted("m-0"))
        let stats = try #require(f.doc("evaluation/u-1"))
        #expect((stats["history"] as? [[String: Any]])?.map { $0["evaluationId"] as? String } == ["eval-m-3", "eval-m-0"])
        #expect(stats["startedCount"] as? Int == 4)
        #expect(stats["lastActivityAt"] as? String == TestTime(30).written)
    }
}

@Suite struct EvaluationFailedTests {
    @Test func failuresAreRecordedAndTheThirdFlagsTechnicalSupportOnce() throws {
        let f = try Fixture()
        f.send("evaluation.failed", id: "e-1", at: time(0), payload: evaluationFailed("m-1", reason: "timeout"))
        f.send("evaluation.failed", id: "e-2", at: time(10), payload: evaluationFailed("m-2", reason: "timeout", attempt: 2))
        var stats = try #require(f.doc("evaluation/u-1"))
        #expect(stats["failureCount"] as? Int == 2)
        #expect(stats["technicalSupport"] as? Bool == false)
        #expect(stats["failureReasons"] as? [String: Int] == ["timeout": 2])
        let failures = try #require(stats["failures"] as? [[String: Any]])
        #expect(failures.count == 2)
        #expect(failures[1]["evaluationId"] as? String == "eval-m-2")
        #expect(failures[1]["retryable"] as? Bool == true)
        #expect(failures[1]["attempt"] as? Int == 2)
        #expect(failures[1]["reason"] as? String == "timeout")
        #expect(failures[1]["at"] as? String == TestTime(10).written)
        #expect(f.produced.isEmpty)

        #expect(f.send("evaluation.failed", id: "e-3", at: time(20), payload: evaluationFailed("m-3", reason: "object missing")) == .ok)
        stats = try #require(f.doc("evaluation/u-1"))
        #expect(stats["technicalSupport"] as? Bool == true)
        #expect(stats["technicalSupportFlaggedAt"] as? String == TestTime(20).written)
        #expect(stats["failureReasons"] as? [String: Int] == ["timeout": 2, "object missing": 1])
        #expect(f.produced.count == 1)
        expected.notification(f.produced[0], source: "e-3", index: 0, at: TestTime(20), template: "admin.technical-support-needed",
                           data: ["evaluationId": "eval-m-3", "missionId": "m-3", "failureCount": "3", "lastReason": "object missing",
                                  "recipient": "security-admins"])
        #expect(f.auditActions("evaluation") == ["evaluation-failure-recorded", "evaluation-failure-recorded",
                                                 "evaluation-failure-recorded", "technical-support-flagged"])

        f.send("evaluation.failed", id: "e-4", at: time(30), payload: evaluationFailed("m-4"))
        #expect(f.produced.count == 1)
        #expect(f.doc("evaluation/u-1")?["technicalSupportFlaggedAt"] as? String == TestTime(20).written)
    }

    @Test func supportThresholdComesFromSettings() throws {
        let f = try Fixture(settings: #"{"support_flag_after_failures":1}"#)
        f.send("evaluation.failed", id: "e-1", payload: evaluationFailed())
        #expect(f.produced.map(\.template) == ["admin.technical-support-needed"])
    }

    @Test func reasonTallyIsBounded() throws {
        let f = try Fixture(settings: #"{"support_flag_after_failures":1000}"#)
        for i in 0..<22 { f.send("evaluation.failed", id: "e-\(i)", payload: evaluationFailed(reason: "reason \(i)")) }
        let reasons = try #require(f.doc("evaluation/u-1")?["failureReasons"] as? [String: Int])
        #expect(reasons.count == 21)
        #expect(reasons["other"] == 2)
        #expect((f.doc("evaluation/u-1")?["failures"] as? [Any])?.count == 20)
    }
}

@Suite struct RetryRequestedTests {
    @Test func retriesAreCountedPerEvaluation() throws {
        let f = try Fixture()
        f.send("evaluation.retry.requested", id: "e-1", at: time(0), payload: retryRequested("m-1", attempt: 2))
        f.send("evaluation.retry.requested", id: "e-2", at: time(5), payload: retryRequested("m-2", attempt: 2))
        #expect(f.send("evaluation.retry.requested", id: "e-3", at: time(10), payload: retryRequested("m-1", attempt: 3)) == .ok)
        let stats = try #require(f.doc("evaluation/u-1"))
        #expect(stats["retryRequestedCount"] as? Int == 3)
        let counts = try #require(stats["retryCounts"] as? [[String: Any]])
        #expect(counts.map { $0["evaluationId"] as? String } == ["eval-m-2", "eval-m-1"])
        #expect(counts[1]["count"] as? Int == 2)
        #expect(counts[1]["lastAttempt"] as? Int == 3)
        #expect(stats["retryReasons"] as? [String: Int] == ["timeout": 3])
        let retries = try #require(stats["retries"] as? [[String: Any]])
        #expect(retries.count == 3)
        #expect(retries[2]["attempt"] as? Int == 3)
        #expect(retries[2]["at"] as? String == TestTime(10).written)
        #expect(f.produced.isEmpty)
        #expect(f.auditEntries("evaluation").last?["detail"] as? [String: String] ==
                ["evaluationId": "eval-m-1", "attempt": "3", "reason": "timeout", "retriesOfEvaluation": "2"])
    }
}

@Suite struct RetryCompletedTests {
    @Test func successUpdatesPerformance() throws {
        let f = try Fixture()
        f.send("evaluation.retry.completed", id: "e-1", at: time(0), payload: retryCompleted("m-1", score: 70))
        #expect(f.send("evaluation.retry.completed", id: "e-2", at: time(10), payload: retryCompleted("m-2", score: 91)) == .ok)
        f.send("evaluation.retry.completed", id: "e-3", at: time(20), payload: retryCompleted("m-3", score: nil))
        let stats = try #require(f.doc("evaluation/u-1"))
        #expect(stats["retryCompletedCount"] as? Int == 3)
        #expect(stats["retrySucceededCount"] as? Int == 3)
        #expect(stats["retryFailedCount"] as? Int == 0)
        let performance = try #require(stats["performance"] as? [String: Any])
        #expect(performance["retrySuccesses"] as? Int == 3)
        #expect(performance["scoredRetries"] as? Int == 2)
        #expect(performance["totalScore"] as? Int == 161)
        #expect(performance["bestScore"] as? Int == 91)
        #expect(performance["lastScore"] as? Int == 91)
        #expect(performance["averageScore"] as? Int == 80)
        let results = try #require(stats["retryResults"] as? [[String: Any]])
        #expect(results.count == 3)
        #expect(results[2]["score"] == nil)
        #expect(f.produced.isEmpty)
        #expect(f.auditEntries("evaluation")[1]["detail"] as? [String: String] ==
                ["evaluationId": "eval-m-2", "attempt": "2", "succeeded": "true", "score": "91"])
    }

    @Test func failureFlagsManualReviewOnceAndASuccessSettlesIt() throws {
        let f = try Fixture()
        #expect(f.send("evaluation.retry.completed", id: "e-1", at: time(0), payload: retryCompleted(succeeded: false, score: nil)) == .ok)
        var stats = try #require(f.doc("evaluation/u-1"))
        #expect(stats["manualReview"] as? [String] == ["eval-m-1"])
        #expect(stats["retryFailedCount"] as? Int == 1)
        #expect((stats["performance"] as? [String: Any])?["retrySuccesses"] as? Int == 0)
        #expect(f.produced.count == 1)
        expected.notification(f.produced[0], source: "e-1", index: 0, at: TestTime(0), template: "admin.manual-review-required",
                           data: ["evaluationId": "eval-m-1", "missionId": "m-1", "attempt": "2", "recipient": "security-admins"])
        #expect(f.auditActions("evaluation") == ["retry-completed", "manual-review-flagged"])

        f.send("evaluation.retry.completed", id: "e-2", at: time(10), payload: retryCompleted(succeeded: false, score: nil))
        #expect(f.produced.count == 1)
        #expect(f.doc("evaluation/u-1")?["manualReview"] as? [String] == ["eval-m-1"])

        f.send("evaluation.retry.completed", id: "e-3", at: time(20), payload: retryCompleted(succeeded: true, score: 60))
        stats = try #require(f.doc("evaluation/u-1"))
        #expect(stats["manualReview"] as? [String] == [])
        #expect(stats["retryCompletedCount"] as? Int == 3)
    }
}
