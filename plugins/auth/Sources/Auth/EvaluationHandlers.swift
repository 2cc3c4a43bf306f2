// auth-service-evaluation-group: evaluation-events -> evaluation/<userId>.
import EventdServiceKit
import Foundation

/// Distinct reasons tallied per user before further ones count as "other".
let reasonTallyLimit = 20

extension AuthPlugin {
    func loadStats(_ userId: String) throws -> EvaluationStats {
        try store.load(EvaluationStats.self, Keys.evaluation(userId)) ?? EvaluationStats(userId: userId)
    }

    /// evaluation.started: last activity, evaluation history, started count.
    func evaluationStarted(_ incoming: Incoming<EvaluationStarted>) throws {
        let p = incoming.payload
        var stats = try loadStats(incoming.userId)
        if stats.lastActivityAt.map({ incoming.at >= $0 }) ?? true {
            stats.lastActivityAt = incoming.at
            stats.lastActivity = "evaluation.started \(p.evaluationId)"
        }
        stats.startedCount += 1
        appendBounded(&stats.history, EvaluationRecord(evaluationId: p.evaluationId, missionId: p.missionId, startedAt: incoming.at),
                      limit: settings.historySize)
        try store.save(Keys.evaluation(incoming.userId), stats)
        try audit(incoming, .evaluation, [("evaluation-started", ["evaluationId": p.evaluationId, "missionId": p.missionId,
                                                                  "startedCount": String(stats.startedCount)])])
    }

    /// evaluation.failed: failure history and pattern data, failure count; at
    /// `support_flag_after_failures` the technical-support flag and one admin alert.
    func evaluationFailed(_ incoming: Incoming<EvaluationFailed>) throws {
        let p = incoming.payload
        var stats = try loadStats(incoming.userId)
        stats.failureCount += 1
        appendBounded(&stats.failures, FailureRecord(evaluationId: p.evaluationId, missionId: p.missionId, reason: p.reason,
                                                     retryable: p.retryable, attempt: p.attempt, at: incoming.at),
                      limit: settings.historySize)
        tally(&stats.failureReasons, p.reason, limit: reasonTallyLimit)
        let flag = stats.failureCount >= settings.supportFlagAfterFailures && !stats.technicalSupport
        if flag {
            stats.technicalSupport = true
            stats.technicalSupportFlaggedAt = incoming.at
        }
        try store.save(Keys.evaluation(incoming.userId), stats)

        let out = followUps(incoming)
        var log: [(action: String, detail: [String: String])] = [
            ("evaluation-failure-recorded", ["evaluationId": p.evaluationId, "reason": p.reason, "retryable": String(p.retryable),
                                             "attempt": String(p.attempt), "failureCount": String(stats.failureCount)]),
        ]
        if flag {
            let data = ["evaluationId": p.evaluationId, "missionId": p.missionId, "failureCount": String(stats.failureCount),
                        "lastReason": p.reason]
            try alertAdmins(out, incoming, "admin.technical-support-needed", data)
            log.append(("technical-support-flagged", data))
        }
        try audit(incoming, .evaluation, log)
    }

    /// evaluation.retry.requested: retry history, count per evaluation, reason pattern.
    func retryRequested(_ incoming: Incoming<EvaluationRetryRequested>) throws {
        let p = incoming.payload
        var stats = try loadStats(incoming.userId)
        stats.retryRequestedCount += 1
        appendBounded(&stats.retries, RetryRecord(evaluationId: p.evaluationId, missionId: p.missionId, attempt: p.attempt,
                                                  reason: p.reason, at: incoming.at), limit: settings.historySize)
        tally(&stats.retryReasons, p.reason, limit: reasonTallyLimit)
        var entry = RetryCount(evaluationId: p.evaluationId, count: 0, lastAttempt: p.attempt)
        if let index = stats.retryCounts.firstIndex(where: { $0.evaluationId == p.evaluationId }) {
            entry = stats.retryCounts.remove(at: index)
        }
        entry.count += 1
        entry.lastAttempt = max(entry.lastAttempt, p.attempt)
        appendBounded(&stats.retryCounts, entry, limit: settings.historySize)
        try store.save(Keys.evaluation(incoming.userId), stats)
        try audit(incoming, .evaluation, [("retry-requested", ["evaluationId": p.evaluationId, "attempt": String(p.attempt),
                                                               "reason": p.reason, "retriesOfEvaluation": String(entry.count)])])
    }

    /// evaluation.retry.completed: result history and completion counts; a
    /// success updates the performance figures (and settles a pending manual
    /// review), a failure flags the evaluation for manual review (one admin alert).
    func retryCompleted(_ incoming: Incoming<EvaluationRetryCompleted>) throws {
        let p = incoming.payload
        var stats = try loadStats(incoming.userId)
        stats.retryCompletedCount += 1
        appendBounded(&stats.retryResults, RetryResult(evaluationId: p.evaluationId, attempt: p.attempt, succeeded: p.succeeded,
                                                       score: p.score, at: incoming.at), limit: settings.historySize)
        var review = false
        if p.succeeded {
            stats.retrySucceededCount += 1
            stats.performance.retrySuccesses += 1
            if let score = p.score {
                stats.performance.scoredRetries += 1
                stats.performance.totalScore += score
                stats.performance.lastScore = score
                stats.performance.bestScore = max(stats.performance.bestScore ?? score, score)
                stats.performance.averageScore = stats.performance.totalScore / stats.performance.scoredRetries
            }
            stats.manualReview.removeAll { $0 == p.evaluationId }
        } else {
            stats.retryFailedCount += 1
            if !stats.manualReview.contains(p.evaluationId) {
                review = true
                appendBounded(&stats.manualReview, p.evaluationId, limit: settings.historySize)
            }
        }
        try store.save(Keys.evaluation(incoming.userId), stats)

        let out = followUps(incoming)
        var detail = ["evaluationId": p.evaluationId, "attempt": String(p.attempt), "succeeded": String(p.succeeded)]
        if let score = p.score { detail["score"] = String(score) }
        var log: [(action: String, detail: [String: String])] = [("retry-completed", detail)]
        if review {
            let data = ["evaluationId": p.evaluationId, "missionId": p.missionId, "attempt": String(p.attempt)]
            try alertAdmins(out, incoming, "admin.manual-review-required", data)
            log.append(("manual-review-flagged", data))
        }
        try audit(incoming, .evaluation, log)
    }
}
