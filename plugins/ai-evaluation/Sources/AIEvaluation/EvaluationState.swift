// The plugin's state documents (JSON in the host's key-value store):
//   evaluation/<evaluationId>  one evaluation: status, attempts, history, verdict
//   stats/<userId>             one user's evaluation statistics
//   global/stats               the same counters over every user
import Foundation

/// `evaluation/<evaluationId>`.
public struct EvaluationRecord: Codable, Equatable, Sendable {
    public enum Status: String, Codable, Sendable {
        /// An attempt failed and an `evaluation.retry.requested` is on its way.
        case retrying
        /// Evaluated: `score`, `passed` and `feedback` are set.
        case completed
        /// Finally failed (attempts used up).
        case failed
    }

    /// One attempt of the evaluation ("재시도 이력").
    public struct Attempt: Codable, Equatable, Sendable {
        public var attempt: Int
        /// The event that triggered it (mission.completed or evaluation.retry.requested).
        public var eventId: String
        public var at: String
        public var succeeded: Bool
        public var score: Int?
        public var reason: String?
        /// A retry attempt: the daemon's deliveries of its request, the last
        /// one included (earlier ones failed and were scheduled again).
        public var deliveries: Int? = nil
    }

    public var evaluationId: String
    public var userId: String
    public var missionId: String
    public var resultKey: String
    public var durationSeconds: Int
    public var evaluator: String
    public var status: Status
    /// Attempts made so far (the first evaluation is attempt 1).
    public var attempts: Int
    public var startedAt: String
    public var updatedAt: String
    public var score: Int?
    public var passed: Bool?
    public var feedback: String?
    public var lastReason: String?
    public var history: [Attempt]
}

/// `stats/<userId>` and `global/stats`. Missing counters read as 0, so an
/// older document still decodes after a counter is added.
public struct EvaluationStats: Codable, Equatable, Sendable {
    /// mission.completed events that started an evaluation.
    public var started = 0
    /// Evaluations that produced evaluation.completed.
    public var completed = 0
    public var passed = 0
    public var notPassed = 0
    /// Attempts that failed (each produced evaluation.failed).
    public var failedAttempts = 0
    /// evaluation.retry.requested events produced.
    public var retriesRequested = 0
    /// evaluation.retry.requested events acted upon.
    public var retriesAttempted = 0
    /// Retries that ended in evaluation.completed.
    public var retriesSucceeded = 0
    /// Evaluations that finally failed.
    public var finalFailures = 0
    /// Sum of the scores of completed evaluations.
    public var scoreTotal = 0
    /// scoreTotal / completed, two decimals; absent before the first completion.
    public var averageScore: Double?
    public var lastScore: Int?
    public var lastEvaluationId: String?
    public var updatedAt: String?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case started, completed, passed, notPassed, failedAttempts, retriesRequested, retriesAttempted
        case retriesSucceeded, finalFailures, scoreTotal, averageScore, lastScore, lastEvaluationId, updatedAt
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        started = try c.decodeIfPresent(Int.self, forKey: .started) ?? 0
        completed = try c.decodeIfPresent(Int.self, forKey: .completed) ?? 0
        passed = try c.decodeIfPresent(Int.self, forKey: .passed) ?? 0
        notPassed = try c.decodeIfPresent(Int.self, forKey: .notPassed) ?? 0
        failedAttempts = try c.decodeIfPresent(Int.self, forKey: .failedAttempts) ?? 0
        retriesRequested = try c.decodeIfPresent(Int.self, forKey: .retriesRequested) ?? 0
        retriesAttempted = try c.decodeIfPresent(Int.self, forKey: .retriesAttempted) ?? 0
        retriesSucceeded = try c.decodeIfPresent(Int.self, forKey: .retriesSucceeded) ?? 0
        finalFailures = try c.decodeIfPresent(Int.self, forKey: .finalFailures) ?? 0
        scoreTotal = try c.decodeIfPresent(Int.self, forKey: .scoreTotal) ?? 0
        averageScore = try c.decodeIfPresent(Double.self, forKey: .averageScore)
        lastScore = try c.decodeIfPresent(Int.self, forKey: .lastScore)
        lastEvaluationId = try c.decodeIfPresent(String.self, forKey: .lastEvaluationId)
        updatedAt = try c.decodeIfPresent(String.self, forKey: .updatedAt)
    }

    /// Counts a completed evaluation.
    mutating func recordCompletion(score: Int, passed didPass: Bool, evaluationId: String) {
        completed += 1
        if didPass { passed += 1 } else { notPassed += 1 }
        scoreTotal += score
        averageScore = (Double(scoreTotal) / Double(completed) * 100).rounded() / 100
        lastScore = score
        lastEvaluationId = evaluationId
    }
}

/// The counter changes of one handled event, applied to both documents.
struct StatsDelta {
    var started = 0
    var failedAttempts = 0
    var retriesRequested = 0
    var retriesAttempted = 0
    var retriesSucceeded = 0
    var finalFailures = 0
    var completion: (score: Int, passed: Bool)?

    func apply(to stats: inout EvaluationStats, evaluationId: String, at time: String) {
        stats.started += started
        stats.failedAttempts += failedAttempts
        stats.retriesRequested += retriesRequested
        stats.retriesAttempted += retriesAttempted
        stats.retriesSucceeded += retriesSucceeded
        stats.finalFailures += finalFailures
        if let completion { stats.recordCompletion(score: completion.score, passed: completion.passed, evaluationId: evaluationId) }
        stats.updatedAt = time
    }
}
