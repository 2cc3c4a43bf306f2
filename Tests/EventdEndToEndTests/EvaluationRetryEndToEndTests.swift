// ai-evaluation's retries through the daemon's retry machinery, with the real
// daemon, the shipped ai-evaluation.toml (tiers shortened) and the embedded
// broker: a retry attempt whose object is still missing returns retry, the
// daemon parks it on a delay tier and hands it back when due; it completes
// once the object is there, or fails finally after the configured attempts.
import Foundation
import Testing

@Suite(.serialized) struct EvaluationRetryEndToEndTests {
    let run = String(UUID().uuidString.prefix(6)).lowercased()

    /// Publishes `user`'s completion of mission `mission` whose result object is not stored (yet).
    func complete(_ services: ServiceDaemon, user: String, mission: String) throws {
        try services.publish("mission.completed", id: "\(run)-\(user)-done", user: user, at: at(0), on: ["mission.completed"],
                             ["userId": user, "missionId": mission, "resultKey": "\(user)/\(mission).json", "durationSeconds": 60])
    }

    /// The records of `user` on a delay tier of evaluation-events.
    func tierRecords(_ services: ServiceDaemon, _ tier: String, user: String) throws -> [ConsumedRecord] {
        try Kcat.consumeAll(services.bootstrap, topic: "evaluation-events.retry.\(tier)").filter { $0.key == user }
    }

    @Test func aRetryWaitsOnADelayTierAndCompletesOnceTheObjectIsThere() throws {
        let services = try ServiceDaemon("eval-retry-tier", evaluationTiers: #"["4s"]"#)
        let user = "rt-\(run)", mission = "late-1"
        try complete(services, user: user, mission: mission)
        // Attempt 1 fails at once (evaluation.failed, retryable) and the retry request is parked on the tier.
        try services.wait("the retry request on its delay tier") { try tierRecords(services, "4s", user: user).count == 1 }
        let parked = try #require(try tierRecords(services, "4s", user: user).first)
        #expect(parked.headers["x-retry-plugin"] == "ai-evaluation")
        #expect(parked.headers["x-retry-handler"] == "evaluation.retry.requested")
        #expect(parked.headers["x-retry-error"]?.contains("not found") == true, "\(parked.headers)")
        #expect(try services.events("evaluation.completed", user: user).isEmpty)
        // The mission service uploads the object late; the tier hands the request back when due.
        try services.storeResult("\(user)/\(mission).json", tests: [("a", true)], lintWarnings: 0, durationSeconds: 60)
        try services.wait("the evaluation completed by the scheduled retry") {
            try services.events("evaluation.completed", user: user).count == 1
        }
        try services.quiesce()
        let evaluation = try services.events("evaluation-events", user: user)
        #expect(evaluation.map(\.type) == ["evaluation.started", "evaluation.failed", "evaluation.retry.requested", "evaluation.retry.completed"])
        #expect(evaluation[3].payload["succeeded"] as? Bool == true)
        let id = try #require(evaluation[0].payload["evaluationId"] as? String)
        let record = try #require(try services.document("ai-evaluation", "evaluation/\(id)"))
        #expect(record["status"] as? String == "completed")
        #expect((record["history"] as? [[String: Any]])?.last?["deliveries"] as? Int == 2, "delivered once at once, once from the tier")
        #expect(try services.counter("dead_lettered") == 0)
        #expect(try tierRecords(services, "4s", user: user).count == 1, "parked once")
    }

    @Test func aRetryThatNeverFindsItsObjectFailsFinallyAfterTheConfiguredAttempts() throws {
        let services = try ServiceDaemon("eval-retry-final", evaluationTiers: #"["1s", "2s"]"#, maxAttempts: 2)
        let user = "rf-\(run)", mission = "never-1"
        try complete(services, user: user, mission: mission)
        try services.wait("the final evaluation failure mail") {
            try services.templates(user, from: "ai-evaluation-service") == ["evaluation.failed"]
        }
        try services.quiesce()
        // Attempt 2 was delivered three times (at once, then from each tier); only its last failure was published.
        #expect(try tierRecords(services, "1s", user: user).count == 1)
        #expect(try tierRecords(services, "2s", user: user).count == 1)
        let evaluation = try services.events("evaluation-events", user: user)
        #expect(evaluation.map(\.type) == ["evaluation.started", "evaluation.failed", "evaluation.retry.requested",
                                           "evaluation.retry.completed", "evaluation.failed"])
        #expect(evaluation[1].payload["retryable"] as? Bool == true)
        #expect(evaluation[4].payload["retryable"] as? Bool == false && evaluation[4].payload["attempt"] as? Int == 2)
        let id = try #require(evaluation[0].payload["evaluationId"] as? String)
        let record = try #require(try services.document("ai-evaluation", "evaluation/\(id)"))
        #expect(record["status"] as? String == "failed")
        #expect((record["history"] as? [[String: Any]])?.last?["deliveries"] as? Int == 3)
        #expect(try services.counter("dead_lettered") == 0, "the plugin had the last word, not the dead-letter topic")
    }
}
