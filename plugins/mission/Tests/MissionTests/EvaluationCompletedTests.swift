import EventdPluginTesting
import Foundation
@testable import Mission
import Testing

@Suite struct EvaluationCompletedTests {
    @Test func aPassIsRecordedAndTheNextMissionRecommendedAndGranted() throws {
        let host = try loadedHost()
        #expect(host.handle(registered()) == .ok)
        #expect(host.handle(resourceCreated("e-r1")) == .ok)
        host.produced.removeAll()
        let source = evaluated("e-v1", mission: "intro-1", score: 85, at: "2024-05-01T11:00:00Z")
        #expect(host.handle(source) == .ok)

        let record = try #require(try host.mission("intro-1"))
        #expect(record.status == "passed" && record.passed && record.bestScore == 85)
        #expect(record.evaluations == [EvaluationResult(eventId: "e-v1", evaluationId: "eval-intro-1", score: 85, passed: true,
                                                        feedback: "clean solution", evaluatedAt: "2024-05-01T11:00:00.000Z")])
        #expect(record.environment?.resourceId == "r-1")

        let progress = try #require(try host.progress())
        #expect(progress.passed == ["intro-1"] && progress.level == 1)
        #expect(progress.missions["intro-1"] == "passed")
        #expect(progress.recommendation == Recommendation(missionId: "intro-2", reason: "next", after: "intro-1",
                                                          at: "2024-05-01T11:00:00.000Z"))
        #expect(progress.access == ["intro-1", "intro-2"])

        let out = try produced(host)
        #expect(out.count == 1)
        expected.notification(out[0], of: source, index: 0, template: "mission.result", data: [
            "missionId": "intro-1", "evaluationId": "eval-intro-1", "score": "85", "passed": "true",
            "feedback": "clean solution", "attempt": "1", "bestScore": "85", "recommendedMission": "intro-2",
            "recommendation": "next", "passedCount": "1", "level": "1", "levelUp": "true",
        ], occurredAt: "2024-05-01T11:00:00.000Z")
    }

    @Test func passingUnlocksMissionsBeyondTheDefaults() throws {
        let host = try loadedHost()
        #expect(host.handle(registered()) == .ok)
        #expect(host.handle(evaluated("e-v1", mission: "intro-1")) == .ok)
        #expect(host.handle(evaluated("e-v2", mission: "intro-2")) == .ok)
        let progress = try #require(try host.progress())
        #expect(progress.recommendation?.missionId == "basics-1")
        #expect(progress.access == ["intro-1", "intro-2", "basics-1"])
        #expect(try produced(host).last?.data["levelUp"] == "false")
    }

    @Test func aFailureRecommendsTheSameMissionAgain() throws {
        let host = try loadedHost()
        #expect(host.handle(registered()) == .ok)
        host.produced.removeAll()
        #expect(host.handle(evaluated("e-v1", mission: "intro-2", score: 40, passed: false)) == .ok)
        let record = try #require(try host.mission("intro-2"))
        #expect(record.status == "failed" && !record.passed && record.bestScore == 40)
        let progress = try #require(try host.progress())
        #expect(progress.passed.isEmpty && progress.level == 0 && progress.missions["intro-2"] == "failed")
        #expect(progress.recommendation?.missionId == "intro-2" && progress.recommendation?.reason == "retry")
        let data = try produced(host)[0].data
        #expect(data["passed"] == "false" && data["recommendedMission"] == "intro-2" && data["recommendation"] == "retry")
        #expect(data["levelUp"] == "false" && data["level"] == "0")
    }

    @Test func aRetryThatPassesKeepsEveryAttempt() throws {
        let host = try loadedHost()
        #expect(host.handle(evaluated("e-v1", score: 40, passed: false)) == .ok)
        #expect(host.handle(evaluated("e-v2", score: 75, passed: true)) == .ok)
        #expect(host.handle(evaluated("e-v3", score: 60, passed: false)) == .ok)      // re-evaluated later, failed
        let record = try #require(try host.mission("intro-1"))
        #expect(record.evaluations.map(\.eventId) == ["e-v1", "e-v2", "e-v3"])
        #expect(record.status == "failed" && record.passed && record.bestScore == 75)
        #expect(try host.progress()?.passed == ["intro-1"])
        let data = try produced(host).last!.data
        #expect(data["attempt"] == "3" && data["bestScore"] == "75")
    }

    @Test func levelsFollowTheThresholds() throws {
        let host = try loadedHost(#"{"level_thresholds":[2,4]}"#)
        let order = ["intro-1", "intro-2", "basics-1", "basics-2"]
        var levels: [String] = []
        for (i, mission) in order.enumerated() {
            #expect(host.handle(evaluated("e-v\(i)", mission: mission)) == .ok)
            levels.append("\(try host.progress()!.level):\(try produced(host).last!.data["levelUp"]!)")
        }
        #expect(levels == ["0:false", "1:true", "1:false", "2:true"])
        // Passing the same mission again changes neither the count nor the level.
        #expect(host.handle(evaluated("e-again", mission: "intro-1", score: 99)) == .ok)
        #expect(try host.progress()?.passed.count == 4 && host.progress()?.level == 2)
    }

    @Test func whenEveryMissionIsPassedNothingIsRecommended() throws {
        let host = try loadedHost(#"{"mission_order":["a","b"]}"#)
        #expect(host.handle(evaluated("e-v1", mission: "a")) == .ok)
        #expect(try host.progress()?.recommendation?.missionId == "b")
        #expect(host.handle(evaluated("e-v2", mission: "b")) == .ok)
        #expect(try host.progress()?.recommendation == nil)
        let data = try produced(host).last!.data
        #expect(data["recommendedMission"] == "" && data["recommendation"] == "all-passed")
    }

    @Test func aRedeliveredEvaluationHasNoEffect() throws {
        try loadedHost().expectRedeliveryHasNoEffect(evaluated("e-v1"), produced: 1)
    }

    @Test func aReplayAfterThePartialWriteDoesNotStoreTheResultTwice() throws {
        let host = try loadedHost()
        #expect(host.handle(evaluated("e-v1")) == .ok)
        // As if the progress write of that attempt had been lost.
        host.state.removeValue(forKey: Array("progress/u-1".utf8))
        #expect(host.handle(evaluated("e-v1")) == .ok)
        #expect(try host.mission("intro-1")?.evaluations.count == 1)
        #expect(try host.progress()?.passed == ["intro-1"])
        let out = try produced(host)
        #expect(out.count == 2 && out[0].eventId == out[1].eventId)      // the same follow-up, dropped downstream
        #expect(out[1].data["attempt"] == "1")
    }

    @Test func aBadTimestampIsRejected() throws {
        try loadedHost().expectRejected(evaluated("e-v1", at: "2024-05-01T25:00:00Z"),
                                        "evaluation.completed: field 'occurredAt' must be an RFC 3339 timestamp, got '2024-05-01T25:00:00Z'")
    }

    @Test(arguments: [
        (["userId": "u-1", "missionId": "intro-1", "evaluationId": "eval-intro-1", "score": -1, "passed": false, "feedback": ""],
         "evaluation.completed: field 'payload.score' must be between 0 and 100, got -1"),
        (["userId": "u-1", "missionId": "intro-1", "evaluationId": "eval-intro-1", "score": 70.5, "passed": true, "feedback": ""],
         "evaluation.completed: field 'payload.score' must be an integer"),
        (["userId": "u-1", "missionId": "intro-1", "evaluationId": "eval-intro-1", "score": "70", "passed": true, "feedback": ""],
         "evaluation.completed: field 'payload.score' must be an integer"),
        (["userId": "u-1", "missionId": "intro-1", "evaluationId": "eval-intro-1", "score": 70, "passed": 1, "feedback": ""],
         "evaluation.completed: field 'payload.passed' must be a boolean"),
        (["userId": "u-1", "missionId": "intro-1", "evaluationId": "eval-intro-1", "score": 70, "feedback": ""],
         "evaluation.completed: missing field 'payload.passed'"),
        (["userId": "u-1", "missionId": "", "evaluationId": "eval-intro-1", "score": 70, "passed": true, "feedback": ""],
         "evaluation.completed: field 'payload.missionId' must not be empty"),
        (["userId": "u-1", "missionId": "intro-1", "evaluationId": "eval-intro-1", "score": 70, "passed": true, "feedback": NSNull()],
         "evaluation.completed: field 'payload.feedback' must be a string, not null"),
    ] as [(Payload, String)])
    func malformedPayloadsAreRejected(payload: Payload, message: String) throws {
        try loadedHost().expectRejected(event("evaluation.completed", id: "e-bad", payload: payload.fields), message)
    }
}
