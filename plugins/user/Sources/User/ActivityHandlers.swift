// user-service-mission-group (mission.completed ⚠️) and
// user-service-evaluation-group (evaluation.completed ⚠️): rows the catalog
// leaves unimplemented; the logic is this plugin's decision (see README).
import EventdServiceKit
import Foundation

extension UserPlugin {
    /// The calendar day of `date` at the configured UTC offset, as a day number and `yyyy-MM-dd`.
    func day(_ date: Date) -> (number: Int, text: String) {
        let local = date.timeIntervalSince1970 + TimeInterval(settings.streakUTCOffsetMinutes * 60)
        let number = Int((local / 86_400).rounded(.down))
        return (number, Self.dayText(number))
    }

    static func dayText(_ number: Int) -> String { RFC3339.day(number) }

    static func dayNumber(_ text: String) -> Int? { RFC3339.dayNumber(text) }

    /// mission.completed: usage statistics (count, time spent), active days
    /// and the daily streak; a milestone count sends a mail.
    func missionCompleted(_ incoming: Incoming<MissionCompleted>) throws {
        let p = incoming.payload, user = incoming.userId
        var activity = try store.load(Activity.self, Keys.activity(user)) ?? Activity(userId: user)
        if activity.recentMissionIds.contains(p.missionId) {
            host.log(.info, "mission completion already counted", ["userId": user, "missionId": p.missionId])
            return
        }
        activity.missionsCompleted += 1
        activity.totalDurationSeconds += p.durationSeconds
        activity.averageDurationSeconds = activity.totalDurationSeconds / activity.missionsCompleted
        if activity.lastCompletedAt.map({ incoming.at >= $0 }) ?? true {
            activity.lastCompletedAt = incoming.at
            activity.lastMissionId = p.missionId
        }
        let today = day(incoming.at)
        let last = activity.lastActiveDay.flatMap(Self.dayNumber)
        switch last {
        case nil:
            activity.currentStreak = 1
            activity.activeDays = 1
            activity.lastActiveDay = today.text
        case let last? where today.number == last + 1:
            activity.currentStreak += 1
            activity.activeDays += 1
            activity.lastActiveDay = today.text
        case let last? where today.number > last + 1:
            activity.currentStreak = 1
            activity.activeDays += 1
            activity.lastActiveDay = today.text
        default:
            break  // the same day, or a late event from an earlier day: the streak stands
        }
        activity.longestStreak = max(activity.longestStreak, activity.currentStreak)
        appendBounded(&activity.recentMissionIds, p.missionId, limit: settings.historySize)
        try store.save(Keys.activity(user), activity)

        if settings.missionMilestones.contains(activity.missionsCompleted) {
            let out = followUps(incoming)
            try notify(out, incoming, "activity.mission-milestone", ["missionsCompleted": String(activity.missionsCompleted),
                                                                     "currentStreak": String(activity.currentStreak),
                                                                     "longestStreak": String(activity.longestStreak)])
        }
    }

    /// evaluation.completed: score statistics and achievements (first pass,
    /// perfect score, N passes); an unlock sends a mail and user.profile.updated.
    func evaluationCompleted(_ incoming: Incoming<EvaluationCompleted>) throws {
        let p = incoming.payload, user = incoming.userId
        var record = try store.load(Achievements.self, Keys.achievements(user)) ?? Achievements(userId: user)
        if record.recentEvaluationIds.contains(p.evaluationId) {
            host.log(.info, "evaluation already counted", ["userId": user, "evaluationId": p.evaluationId])
            return
        }
        record.evaluations += 1
        if p.passed { record.passes += 1 } else { record.fails += 1 }
        record.totalScore += p.score
        record.averageScore = record.totalScore / record.evaluations
        record.bestScore = max(record.bestScore ?? p.score, p.score)
        record.lastScore = p.score
        if p.score == 100 { record.perfectScores += 1 }
        appendBounded(&record.recentEvaluationIds, p.evaluationId, limit: settings.historySize)

        var unlocked: [String] = []
        let has = Set(record.unlocked.map(\.id))
        if p.passed && !has.contains("first-pass") { unlocked.append("first-pass") }
        if p.passed && p.score == 100 && !has.contains("perfect-score") { unlocked.append("perfect-score") }
        if p.passed {
            for milestone in settings.passMilestones where record.passes >= milestone && !has.contains("passes-\(milestone)") {
                unlocked.append("passes-\(milestone)")
            }
        }
        for id in unlocked {
            record.unlocked.append(Achievement(id: id, unlockedAt: incoming.at, evaluationId: p.evaluationId, missionId: p.missionId, score: p.score))
        }
        try store.save(Keys.achievements(user), record)

        guard !unlocked.isEmpty else { return }
        let out = followUps(incoming)
        try notify(out, incoming, "achievement.unlocked", ["achievements": unlocked.joined(separator: ","), "evaluationId": p.evaluationId,
                                                           "missionId": p.missionId, "score": String(p.score)])
        try profileUpdated(out, incoming, plan: try currentPlan(user), changes: unlocked.map { "achievements.\($0)" })
    }
}
