// The payloads of the events the auth plugin consumes, exactly as
// plugins/README.md defines them: every field required unless optional here.
import EventdServiceKit

struct RenewalFailed: UserPayload {
    let userId: String
    let subscriptionId: String
    let plan: String
    let amount: Int
    let reason: String

    func validate() throws {
        try Check.nonEmpty(subscriptionId, "subscriptionId")
        _ = try Plan.parse(plan, field: "plan")
        try Check.nonNegative(amount, "amount")
    }
}

struct SubscriptionChanged: UserPayload {
    let userId: String
    let subscriptionId: String
    let fromPlan: String
    let toPlan: String
    let refundAmount: Int?

    func validate() throws {
        try Check.nonEmpty(subscriptionId, "subscriptionId")
        _ = try Plan.parse(fromPlan, field: "fromPlan")
        _ = try Plan.parse(toPlan, field: "toPlan")
        if let refundAmount { try Check.nonNegative(refundAmount, "refundAmount") }
    }
}

struct TicketBalanceLow: UserPayload {
    let userId: String
    let balance: Int
    let threshold: Int
    let plan: String

    func validate() throws {
        try Check.nonNegative(balance, "balance")
        try Check.nonNegative(threshold, "threshold")
        _ = try Plan.parse(plan, field: "plan")
    }
}

/// `mission.paused` and `mission.resumed`.
struct MissionSessionEvent: UserPayload {
    let userId: String
    let missionId: String

    func validate() throws { try Check.keySafe(missionId, "missionId") }
}

struct ProvisioningFailed: UserPayload {
    let userId: String
    let missionId: String
    let resourceId: String?
    let reason: String

    func validate() throws { try Check.keySafe(missionId, "missionId") }
}

struct CleanupCompleted: UserPayload {
    let userId: String
    let missionId: String
    let resourceId: String
    let usageSeconds: Int

    func validate() throws {
        try Check.keySafe(missionId, "missionId")
        try Check.nonEmpty(resourceId, "resourceId")
        try Check.nonNegative(usageSeconds, "usageSeconds")
    }
}

struct EvaluationStarted: UserPayload {
    let userId: String
    let missionId: String
    let evaluationId: String

    func validate() throws {
        try Check.keySafe(missionId, "missionId")
        try Check.nonEmpty(evaluationId, "evaluationId")
    }
}

struct EvaluationFailed: UserPayload {
    let userId: String
    let missionId: String
    let evaluationId: String
    let reason: String
    let retryable: Bool
    let attempt: Int

    func validate() throws {
        try Check.keySafe(missionId, "missionId")
        try Check.nonEmpty(evaluationId, "evaluationId")
        try Check.nonNegative(attempt, "attempt")
    }
}

struct RetryRequested: UserPayload {
    let userId: String
    let missionId: String
    let evaluationId: String
    let attempt: Int
    let reason: String

    func validate() throws {
        try Check.keySafe(missionId, "missionId")
        try Check.nonEmpty(evaluationId, "evaluationId")
        try Check.nonNegative(attempt, "attempt")
    }
}

struct RetryCompleted: UserPayload {
    let userId: String
    let missionId: String
    let evaluationId: String
    let attempt: Int
    let succeeded: Bool
    let score: Int?

    func validate() throws {
        try Check.keySafe(missionId, "missionId")
        try Check.nonEmpty(evaluationId, "evaluationId")
        try Check.nonNegative(attempt, "attempt")
        if let score { try Check.score(score) }
    }
}
