// ai-evaluation keyed by (user, mission, completion) with the real daemon and
// the five service plugins: two users finishing the same mission are both
// evaluated, and a user completing a mission twice is evaluated twice.
import Foundation
import Testing

@Suite(.serialized) struct EvaluationPerCompletionEndToEndTests {
    let run = String(UUID().uuidString.prefix(6)).lowercased()

    @Test func twoUsersOfOneMissionAndOneUserTwiceAreEachEvaluated() throws {
        let services = try ServiceDaemon("eval-per-completion")
        let mission = "shared-1", alice = "a-\(run)", bob = "b-\(run)"
        try services.storeResult("\(alice)/\(mission).json", tests: [("a", true), ("b", false)], lintWarnings: 0, durationSeconds: 60)
        try services.storeResult("\(bob)/\(mission).json", tests: [("a", true), ("b", true)], lintWarnings: 0, durationSeconds: 60)
        func complete(_ user: String, id: String, minute: Int) throws {
            try services.publish("mission.completed", id: id, user: user, at: at(minute), on: ["mission.completed"],
                                 ["userId": user, "missionId": mission, "resultKey": "\(user)/\(mission).json", "durationSeconds": 60])
        }
        try complete(alice, id: "\(run)-alice-1", minute: 0)
        try complete(bob, id: "\(run)-bob-1", minute: 1)
        try services.wait("both users' evaluations") {
            try services.events("evaluation.completed", user: alice).count == 1 && services.events("evaluation.completed", user: bob).count == 1
        }
        // Alice redoes the mission (better result) and completes it again: a new completion event.
        try services.storeResult("\(alice)/\(mission).json", tests: [("a", true), ("b", true)], lintWarnings: 0, durationSeconds: 60)
        try complete(alice, id: "\(run)-alice-2", minute: 5)
        try services.wait("alice's second evaluation") { try services.events("evaluation.completed", user: alice).count == 2 }
        try services.quiesce()

        let aliceDone = try services.events("evaluation.completed", user: alice)
        let bobDone = try services.events("evaluation.completed", user: bob)
        #expect(aliceDone.compactMap { $0.payload["score"] as? Int } == [50, 100])
        #expect(bobDone.compactMap { $0.payload["score"] as? Int } == [100])
        let ids = (aliceDone + bobDone).compactMap { $0.payload["evaluationId"] as? String }
        #expect(ids.count == 3 && Set(ids).count == 3, "one evaluation per completion: \(ids)")
        #expect(ids.allSatisfy { $0.hasPrefix("eval-\(mission)-") })
        checkConventions(aliceDone, user: alice)
        for id in ids {
            let record = try #require(try services.document("ai-evaluation", "evaluation/\(id)"))
            #expect(record["status"] as? String == "completed")
            #expect(record["attempts"] as? Int == 1)
        }
        let aliceStats = try #require(try services.document("ai-evaluation", "stats/\(alice)"))
        #expect(aliceStats["started"] as? Int == 2 && aliceStats["completed"] as? Int == 2 && aliceStats["lastScore"] as? Int == 100)
        let bobStats = try #require(try services.document("ai-evaluation", "stats/\(bob)"))
        #expect(bobStats["started"] as? Int == 1 && bobStats["completed"] as? Int == 1)
        #expect(try services.templates(alice, from: "ai-evaluation-service") == ["evaluation.completed", "evaluation.completed"])
        // The mission service recorded both of alice's evaluations.
        let recorded = try #require(try services.document("mission", "mission/\(alice)/\(mission)"))
        #expect((recorded["evaluations"] as? [[String: Any]])?.count == 2)
        #expect(try services.counter("dead_lettered") == 0)
    }
}
