import EventdPluginTesting
import Foundation
@testable import Payment
import Testing

@Suite struct EvaluationCompletedTests {
    @Test func aMissionsFirstPassEarnsTheRewardOnce() throws {
        let host = try loadedHost()
        #expect(host.handle(started("e-1", cost: 2)) == .ok)
        let source = evaluated("e-v1", score: 80)
        #expect(host.handle(source) == .ok)
        var wallet = try #require(try host.wallet())
        #expect(wallet.balance == 4 && wallet.usage.evaluationsPassed == 1)
        #expect(wallet.missions["m-1"]?.passRewarded == true && wallet.missions["m-1"]?.bestScore == 80)
        let out = try produced(host)
        #expect(out.count == 1)
        expected.notification(out[0], of: source, index: 0, template: "payment.evaluation-reward", data: [
            "missionId": "m-1", "evaluationId": "eval-m-1", "score": "80", "tickets": "1", "balance": "4", "owed": "0",
        ])

        #expect(host.handle(evaluated("e-v2", score: 90)) == .ok)
        wallet = try #require(try host.wallet())
        #expect(wallet.balance == 4 && wallet.usage.evaluationsPassed == 2 && wallet.missions["m-1"]?.bestScore == 90)
        #expect(host.produced.count == 1)
    }

    @Test func aPerfectScoreAddsTheBonusOncePerMission() throws {
        let host = try loadedHost()
        #expect(host.handle(evaluated("e-v1", score: 100)) == .ok)
        #expect(try host.wallet()?.balance == 7)
        #expect(try produced(host)[0].data["tickets"] == "2")
        #expect(host.handle(evaluated("e-v2", score: 100)) == .ok)
        let wallet = try #require(try host.wallet())
        #expect(wallet.balance == 7 && wallet.usage.perfectScores == 2)
        #expect(host.produced.count == 1)
    }

    @Test func aLaterPerfectScoreEarnsOnlyTheBonus() throws {
        let host = try loadedHost(#"{"pass_reward_tickets":2,"perfect_score_bonus_tickets":3}"#)
        #expect(host.handle(evaluated("e-v1", score: 70)) == .ok)
        #expect(host.handle(evaluated("e-v2", score: 100)) == .ok)
        #expect(try host.wallet()?.balance == 10)
        #expect(try produced(host).map { $0.data["tickets"] } == ["2", "3"])
    }

    @Test func aFailedEvaluationIsCountedWithoutReward() throws {
        let host = try loadedHost()
        #expect(host.handle(evaluated("e-v1", score: 100, passed: false)) == .ok)
        let wallet = try #require(try host.wallet())
        #expect(wallet.balance == 5 && wallet.usage.evaluationsFailed == 1 && wallet.usage.perfectScores == 0)
        #expect(wallet.missions["m-1"] == MissionAccount(status: "none", bestScore: 100))
        #expect(host.produced.isEmpty)
    }

    @Test func rewardsPayOffOwedTicketsFirst() throws {
        let host = try loadedHost(#"{"welcome_tickets":0}"#)
        #expect(host.handle(started("e-1", cost: 2)) == .ok)
        host.produced.removeAll()
        #expect(host.handle(evaluated("e-v1", score: 100)) == .ok)
        let wallet = try #require(try host.wallet())
        #expect(wallet.owed == 0 && wallet.balance == 0 && wallet.usage.ticketsRepaid == 2)
    }

    @Test func aRedeliveredEvaluationHasNoEffect() throws {
        try loadedHost().expectRedeliveryHasNoEffect(evaluated("e-v1"), produced: 1)
    }

    @Test func aBadTimestampIsRejected() throws {
        try loadedHost().expectRejected(evaluated("e-v1", at: "tomorrow"),
                                        "evaluation.completed: field 'occurredAt' must be an RFC 3339 timestamp, got 'tomorrow'")
    }

    @Test(arguments: [
        (["userId": "u-1", "missionId": "m-1", "evaluationId": "eval-m-1", "score": 101, "passed": true, "feedback": ""],
         "evaluation.completed: field 'payload.score' must be between 0 and 100, got 101"),
        (["userId": "u-1", "missionId": "m-1", "evaluationId": "eval-m-1", "score": 80, "passed": "yes", "feedback": ""],
         "evaluation.completed: field 'payload.passed' must be a boolean"),
        (["userId": "u-1", "missionId": "m-1", "evaluationId": "eval-m-1", "score": 80, "passed": true],
         "evaluation.completed: missing field 'payload.feedback'"),
        (["userId": "u-1", "missionId": "m-1", "score": 80, "passed": true, "feedback": ""],
         "evaluation.completed: missing field 'payload.evaluationId'"),
        (["userId": "u-1", "missionId": "m-1", "evaluationId": "", "score": 80, "passed": true, "feedback": ""],
         "evaluation.completed: field 'payload.evaluationId' must not be empty"),
    ] as [(Payload, String)])
    func malformedPayloadsAreRejected(payload: Payload, message: String) throws {
        try loadedHost().expectRejected(event("evaluation.completed", id: "e-bad", payload: payload.fields), message)
    }
}
