// The evaluation-events payloads of the catalog (plugins/README.md); the
// ai-evaluation plugin produces them, auth, mission, payment and user consume them.

extension Check {
    /// The ids every evaluation event carries: the mission's (by `rules`) and the evaluation's.
    static func evaluation(_ missionId: String, _ evaluationId: String, _ rules: PayloadRules) throws {
        try rules.id(missionId, "missionId")
        try nonEmpty(evaluationId, "evaluationId")
    }
}

/// `evaluation.started`.
public struct EvaluationStarted: UserPayload, Codable, Equatable, Sendable {
    public var userId, missionId, evaluationId: String

    public init(userId: String, missionId: String, evaluationId: String) {
        (self.userId, self.missionId, self.evaluationId) = (userId, missionId, evaluationId)
    }

    public func validate(_ rules: PayloadRules) throws { try Check.evaluation(missionId, evaluationId, rules) }
}

/// `evaluation.failed`.
public struct EvaluationFailed: UserPayload, Codable, Equatable, Sendable {
    public var userId, missionId, evaluationId, reason: String
    public var retryable: Bool
    public var attempt: Int

    public init(userId: String, missionId: String, evaluationId: String, reason: String, retryable: Bool, attempt: Int) {
        (self.userId, self.missionId, self.evaluationId) = (userId, missionId, evaluationId)
        (self.reason, self.retryable, self.attempt) = (reason, retryable, attempt)
    }

    public func validate(_ rules: PayloadRules) throws {
        try Check.evaluation(missionId, evaluationId, rules)
        try Check.nonNegative(attempt, "attempt")
    }
}

/// `evaluation.retry.requested` (alias `evaluation.retry-requested`).
public struct EvaluationRetryRequested: UserPayload, Codable, Equatable, Sendable {
    public var userId, missionId, evaluationId: String
    public var attempt: Int
    public var reason: String

    public init(userId: String, missionId: String, evaluationId: String, attempt: Int, reason: String) {
        (self.userId, self.missionId, self.evaluationId, self.attempt, self.reason) = (userId, missionId, evaluationId, attempt, reason)
    }

    public func validate(_ rules: PayloadRules) throws {
        try Check.evaluation(missionId, evaluationId, rules)
        try Check.nonNegative(attempt, "attempt")
    }
}

/// `evaluation.retry.completed` (alias `evaluation.retry-completed`); `score` is present when `succeeded`.
public struct EvaluationRetryCompleted: UserPayload, Codable, Equatable, Sendable {
    public var userId, missionId, evaluationId: String
    public var attempt: Int
    public var succeeded: Bool
    public var score: Int?

    public init(userId: String, missionId: String, evaluationId: String, attempt: Int, succeeded: Bool, score: Int?) {
        (self.userId, self.missionId, self.evaluationId) = (userId, missionId, evaluationId)
        (self.attempt, self.succeeded, self.score) = (attempt, succeeded, score)
    }

    public func validate(_ rules: PayloadRules) throws {
        try Check.evaluation(missionId, evaluationId, rules)
        try Check.nonNegative(attempt, "attempt")
        if let score { try Check.score(score) }
    }
}

/// `evaluation.completed`.
public struct EvaluationCompleted: UserPayload, Codable, Equatable, Sendable {
    public var userId, missionId, evaluationId: String
    @Integer public var score: Int
    public var passed: Bool
    public var feedback: String

    public init(userId: String, missionId: String, evaluationId: String, score: Int, passed: Bool, feedback: String) {
        (self.userId, self.missionId, self.evaluationId) = (userId, missionId, evaluationId)
        (self.score, self.passed, self.feedback) = (score, passed, feedback)
    }

    public func validate(_ rules: PayloadRules) throws {
        try Check.evaluation(missionId, evaluationId, rules)
        try Check.score(score)
    }
}
