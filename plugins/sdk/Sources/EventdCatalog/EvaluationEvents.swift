// The evaluation-events payloads of the catalog (plugins/README.md); the
// ai-evaluation plugin produces them, auth, mission, payment and user consume them.

/// `evaluation.started`.
public struct EvaluationStarted: UserPayload, Codable, Equatable, Sendable {
    public var userId: String
    public var missionId: String
    public var evaluationId: String

    public init(userId: String, missionId: String, evaluationId: String) {
        (self.userId, self.missionId, self.evaluationId) = (userId, missionId, evaluationId)
    }

    public func validate(_ rules: PayloadRules) throws {
        try rules.id(missionId, "missionId")
        try Check.nonEmpty(evaluationId, "evaluationId")
    }
}

/// `evaluation.failed`.
public struct EvaluationFailed: UserPayload, Codable, Equatable, Sendable {
    public var userId: String
    public var missionId: String
    public var evaluationId: String
    public var reason: String
    public var retryable: Bool
    public var attempt: Int

    public init(userId: String, missionId: String, evaluationId: String, reason: String, retryable: Bool, attempt: Int) {
        (self.userId, self.missionId, self.evaluationId) = (userId, missionId, evaluationId)
        (self.reason, self.retryable, self.attempt) = (reason, retryable, attempt)
    }

    public func validate(_ rules: PayloadRules) throws {
        try EvaluationStarted(userId: userId, missionId: missionId, evaluationId: evaluationId).validate(rules)
        try Check.nonNegative(attempt, "attempt")
    }
}

/// `evaluation.retry.requested` (alias `evaluation.retry-requested`).
public struct EvaluationRetryRequested: UserPayload, Codable, Equatable, Sendable {
    public var userId: String
    public var missionId: String
    public var evaluationId: String
    public var attempt: Int
    public var reason: String

    public init(userId: String, missionId: String, evaluationId: String, attempt: Int, reason: String) {
        (self.userId, self.missionId, self.evaluationId, self.attempt, self.reason) = (userId, missionId, evaluationId, attempt, reason)
    }

    public func validate(_ rules: PayloadRules) throws {
        try EvaluationStarted(userId: userId, missionId: missionId, evaluationId: evaluationId).validate(rules)
        try Check.nonNegative(attempt, "attempt")
    }
}

/// `evaluation.retry.completed` (alias `evaluation.retry-completed`).
public struct EvaluationRetryCompleted: UserPayload, Codable, Equatable, Sendable {
    public var userId: String
    public var missionId: String
    public var evaluationId: String
    public var attempt: Int
    public var succeeded: Bool
    /// Present when `succeeded`.
    public var score: Int?

    public init(userId: String, missionId: String, evaluationId: String, attempt: Int, succeeded: Bool, score: Int?) {
        (self.userId, self.missionId, self.evaluationId) = (userId, missionId, evaluationId)
        (self.attempt, self.succeeded, self.score) = (attempt, succeeded, score)
    }

    public func validate(_ rules: PayloadRules) throws {
        try EvaluationStarted(userId: userId, missionId: missionId, evaluationId: evaluationId).validate(rules)
        try Check.nonNegative(attempt, "attempt")
        if let score { try Check.score(score) }
    }
}

/// `evaluation.completed`.
public struct EvaluationCompleted: UserPayload, Codable, Equatable, Sendable {
    public var userId: String
    public var missionId: String
    public var evaluationId: String
    @Integer public var score: Int
    public var passed: Bool
    public var feedback: String

    public init(userId: String, missionId: String, evaluationId: String, score: Int, passed: Bool, feedback: String) {
        (self.userId, self.missionId, self.evaluationId) = (userId, missionId, evaluationId)
        (self.score, self.passed, self.feedback) = (score, passed, feedback)
    }

    public func validate(_ rules: PayloadRules) throws {
        try EvaluationStarted(userId: userId, missionId: missionId, evaluationId: evaluationId).validate(rules)
        try Check.score(score)
    }
}
