// Event payloads (plugins/README.md, "Event payloads"): the two consumed
// events decode strictly; the produced ones encode exactly these fields.

// MARK: consumed

/// `mission.completed`.
public struct MissionCompleted: Codable, Equatable, Sendable {
    public var userId: String
    public var missionId: String
    /// Object-store key of the mission's result data.
    public var resultKey: String
    public var durationSeconds: Int
}

/// `evaluation.retry.requested` (alias `evaluation.retry-requested`).
public struct EvaluationRetryRequested: Codable, Equatable, Sendable {
    public var userId: String
    public var missionId: String
    public var evaluationId: String
    public var attempt: Int
    public var reason: String
}

// MARK: produced

/// `evaluation.started`.
public struct EvaluationStarted: Codable, Equatable, Sendable {
    public var userId: String
    public var missionId: String
    public var evaluationId: String
}

/// `evaluation.failed`.
public struct EvaluationFailed: Codable, Equatable, Sendable {
    public var userId: String
    public var missionId: String
    public var evaluationId: String
    public var reason: String
    public var retryable: Bool
    public var attempt: Int
}

/// `evaluation.retry.completed`.
public struct EvaluationRetryCompleted: Codable, Equatable, Sendable {
    public var userId: String
    public var missionId: String
    public var evaluationId: String
    public var attempt: Int
    public var succeeded: Bool
    /// Present when `succeeded`.
    public var score: Int?
}

/// `evaluation.completed`.
public struct EvaluationCompleted: Codable, Equatable, Sendable {
    public var userId: String
    public var missionId: String
    public var evaluationId: String
    public var score: Int
    public var passed: Bool
    public var feedback: String
}

/// `notification.requested`.
public struct NotificationRequested: Codable, Equatable, Sendable {
    public var userId: String
    public var channel: String
    public var template: String
    public var data: [String: String]
}
