import EventdPluginTesting
import Foundation
import Testing
import User

/// time(0) is 2025-03-01T09:00:00Z = 18:00 on 2025-03-01 in Korea (UTC+9, the default streak offset);
/// the Korean day changes at 15:00Z, i.e. time(21_600).
let nextKoreanDay = 21_600
let day = 86_400

@Suite struct MissionCompletedTests {
    let name = "mission.completed"

    @Test func theFirstCompletionStartsTheStatisticsAndIsAMilestone() throws {
        let f = try Fixture()
        #expect(f.send(name, id: "e-1", at: time(0), payload: missionCompleted("m-1", duration: 1200)) == .ok)
        let activity = try #require(f.doc("activity/u-1"))
        #expect(activity["missionsCompleted"] as? Int == 1)
        #expect(activity["totalDurationSeconds"] as? Int == 1200)
        #expect(activity["averageDurationSeconds"] as? Int == 1200)
        #expect(activity["lastMissionId"] as? String == "m-1")
        #expect(activity["lastCompletedAt"] as? String == TestTime(0).written)
        #expect(activity["lastActiveDay"] as? String == "2025-03-01")
        #expect(activity["activeDays"] as? Int == 1)
        #expect(activity["currentStreak"] as? Int == 1)
        #expect(activity["longestStreak"] as? Int == 1)
        #expect(activity["recentMissionIds"] as? [String] == ["m-1"])
        #expect(f.produced.count == 1)
        expected.notification(f.produced[0], source: "e-1", index: 0, at: TestTime(0), template: "activity.mission-milestone",
                           data: ["missionsCompleted": "1", "currentStreak": "1", "longestStreak": "1"])
    }

    @Test func dailyStreaksFollowTheKoreanCalendarDay() throws {
        let f = try Fixture()
        f.send(name, id: "e-1", at: time(0), payload: missionCompleted("m-1", duration: 100))
        f.send(name, id: "e-2", at: time(nextKoreanDay), payload: missionCompleted("m-2", duration: 200))
        var activity = try #require(f.doc("activity/u-1"))
        #expect(activity["lastActiveDay"] as? String == "2025-03-02")
        #expect(activity["currentStreak"] as? Int == 2)
        f.send(name, id: "e-3", at: time(nextKoreanDay + 60), payload: missionCompleted("m-3", duration: 300))
        activity = try #require(f.doc("activity/u-1"))
        #expect(activity["currentStreak"] as? Int == 2)
        #expect(activity["activeDays"] as? Int == 2)
        #expect(activity["averageDurationSeconds"] as? Int == 200)
        // A day skipped: the streak starts again.
        f.send(name, id: "e-4", at: time(nextKoreanDay + 2 * day), payload: missionCompleted("m-4", duration: 400))
        activity = try #require(f.doc("activity/u-1"))
        #expect(activity["lastActiveDay"] as? String == "2025-03-04")
        #expect(activity["currentStreak"] as? Int == 1)
        #expect(activity["longestStreak"] as? Int == 2)
        #expect(activity["activeDays"] as? Int == 3)
        #expect(activity["missionsCompleted"] as? Int == 4)
        #expect(activity["totalDurationSeconds"] as? Int == 1000)
        // Only the first completion was a milestone.
        #expect(f.produced.count == 1)
    }

    @Test func theStreakDayOffsetComesFromSettings() throws {
        let f = try Fixture(settings: #"{"streak_utc_offset_minutes":0}"#)
        f.send(name, id: "e-1", at: time(0), payload: missionCompleted("m-1"))
        f.send(name, id: "e-2", at: time(nextKoreanDay), payload: missionCompleted("m-2"))
        let activity = try #require(f.doc("activity/u-1"))
        #expect(activity["lastActiveDay"] as? String == "2025-03-01")
        #expect(activity["currentStreak"] as? Int == 1)
        #expect(activity["activeDays"] as? Int == 1)
    }

    @Test func aCompletionFromAnEarlierDayArrivingLateKeepsTheStreak() throws {
        let f = try Fixture()
        f.send(name, id: "e-1", at: time(0), payload: missionCompleted("m-1"))
        f.send(name, id: "e-2", at: time(nextKoreanDay), payload: missionCompleted("m-2"))
        f.send(name, id: "e-3", at: time(-3 * day), payload: missionCompleted("m-0"))
        let activity = try #require(f.doc("activity/u-1"))
        #expect(activity["missionsCompleted"] as? Int == 3)
        #expect(activity["currentStreak"] as? Int == 2)
        #expect(activity["lastActiveDay"] as? String == "2025-03-02")
        #expect(activity["lastMissionId"] as? String == "m-2")
        #expect(activity["lastCompletedAt"] as? String == TestTime(nextKoreanDay).written)
    }

    @Test func aMissionIsCountedOnce() throws {
        try Fixture().expectCountedOnce(name, missionCompleted("m-1"))
    }

    @Test func milestonesComeFromSettings() throws {
        let f = try Fixture(settings: #"{"mission_milestones":[2]}"#)
        f.send(name, id: "e-1", at: time(0), payload: missionCompleted("m-1"))
        #expect(f.produced.isEmpty)
        f.send(name, id: "e-2", at: time(10), payload: missionCompleted("m-2"))
        #expect(f.produced.map(\.data) == [["missionsCompleted": "2", "currentStreak": "1", "longestStreak": "1"]])
    }
}

@Suite struct EvaluationCompletedTests {
    let name = "evaluation.completed"

    @Test func aPerfectFirstPassUnlocksTwoAchievementsAndUpdatesTheProfile() throws {
        let f = try Fixture()
        f.send("user.registered", id: "r-1", at: time(0), payload: registered(plan: "pro"))
        f.clearProduced()
        #expect(f.send(name, id: "e-1", at: time(100), payload: evaluationCompleted("m-1", score: 100)) == .ok)
        let record = try #require(f.doc("achievements/u-1"))
        #expect(record["evaluations"] as? Int == 1)
        #expect(record["passes"] as? Int == 1)
        #expect(record["fails"] as? Int == 0)
        #expect(record["perfectScores"] as? Int == 1)
        #expect(record["bestScore"] as? Int == 100)
        #expect(record["averageScore"] as? Int == 100)
        let unlocked = try #require(record["unlocked"] as? [[String: Any]])
        #expect(unlocked.map { $0["id"] as? String } == ["first-pass", "perfect-score"])
        #expect(unlocked[0]["unlockedAt"] as? String == TestTime(100).written)
        #expect(unlocked[0]["evaluationId"] as? String == "eval-m-1")
        #expect(unlocked[0]["missionId"] as? String == "m-1")
        #expect(unlocked[0]["score"] as? Int == 100)
        #expect(f.produced.count == 2)
        expected.notification(f.produced[0], source: "e-1", index: 0, at: TestTime(100), template: "achievement.unlocked",
                           data: ["achievements": "first-pass,perfect-score", "evaluationId": "eval-m-1", "missionId": "m-1", "score": "100"])
        expectUserEvent(f.produced[1], source: "e-1", index: 1, at: TestTime(100), type: "user.profile.updated",
                        payload: ["userId": user, "plan": "pro", "changes": ["achievements.first-pass", "achievements.perfect-score"]])
    }

    @Test func aFailedEvaluationOnlyCounts() throws {
        let f = try Fixture()
        #expect(f.send(name, id: "e-1", at: time(0), payload: evaluationCompleted("m-1", score: 100, passed: false)) == .ok)
        #expect(f.send(name, id: "e-2", at: time(10), payload: evaluationCompleted("m-2", score: 40, passed: false)) == .ok)
        let record = try #require(f.doc("achievements/u-1"))
        #expect(record["evaluations"] as? Int == 2)
        #expect(record["fails"] as? Int == 2)
        #expect(record["averageScore"] as? Int == 70)
        #expect(record["lastScore"] as? Int == 40)
        #expect((record["unlocked"] as? [Any])?.isEmpty == true)
        #expect(f.produced.isEmpty)
    }

    @Test func passMilestonesAndThePlanFallbacks() throws {
        let f = try Fixture(settings: #"{"pass_milestones":[2,3]}"#)
        f.send(name, id: "e-1", at: time(0), payload: evaluationCompleted("m-1"))
        // Not registered and no plan change seen: default_plan.
        #expect(f.produced[1].payload["plan"] as? String == "basic")
        f.send("payment.subscription-changed", id: "c-1", at: time(5), payload: subscriptionChanged(from: "basic", to: "premium"))
        f.clearProduced()
        f.send(name, id: "e-2", at: time(10), payload: evaluationCompleted("m-2", score: 70))
        #expect(f.produced.map(\.template) == ["achievement.unlocked", ""])
        #expect(f.produced[0].data["achievements"] == "passes-2")
        #expect(f.produced[1].payload["plan"] as? String == "premium")
        #expect(f.produced[1].payload["changes"] as? [String] == ["achievements.passes-2"])
        f.clearProduced()
        f.send(name, id: "e-3", at: time(20), payload: evaluationCompleted("m-3", score: 70))
        #expect(f.produced.first?.data["achievements"] == "passes-3")
        f.clearProduced()
        f.send(name, id: "e-4", at: time(30), payload: evaluationCompleted("m-4", score: 70))
        #expect(f.produced.isEmpty)
    }

    @Test func theDefaultPlanComesFromSettings() throws {
        let f = try Fixture(settings: #"{"default_plan":"pro"}"#)
        f.send(name, id: "e-1", payload: evaluationCompleted())
        #expect(f.produced[1].payload["plan"] as? String == "pro")
    }

    @Test func anEvaluationIsCountedOnce() throws {
        try Fixture().expectCountedOnce(name, evaluationCompleted("m-1"))
    }

    @Test func theEvaluationEventsTopicWorksToo() throws {
        let f = try Fixture()
        #expect(f.send(name, id: "e-1", payload: evaluationCompleted(), topic: "evaluation-events") == .ok)
        #expect(f.doc("achievements/u-1")?["evaluations"] as? Int == 1)
    }
}
