// The payloads of the events the user plugin consumes and produces, exactly
// as plugins/README.md defines them: every field required unless optional here.
import EventdServiceKit

struct UserRegistered: UserPayload {
    let userId: String
    let email: String
    let displayName: String
    let plan: String

    func validate() throws {
        try Check.nonEmpty(email, "email")
        _ = try Plan.parse(plan, field: "plan")
    }
}

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

/// `payment.subscription-changed` (alias `subscription.changed`).
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

struct MissionCompleted: UserPayload {
    let userId: String
    let missionId: String
    let resultKey: String
    let durationSeconds: Int

    func validate() throws {
        try Check.keySafe(missionId, "missionId")
        try Check.nonNegative(durationSeconds, "durationSeconds")
    }
}

struct EvaluationCompleted: UserPayload {
    let userId: String
    let missionId: String
    let evaluationId: String
    let score: Int
    let passed: Bool
    let feedback: String

    func validate() throws {
        try Check.keySafe(missionId, "missionId")
        try Check.nonEmpty(evaluationId, "evaluationId")
        try Check.score(score)
    }
}

/// `user.settings.changed`.
struct UserSettingsChanged: Encodable {
    let userId: String
    let settings: [String: String]
    let reason: String
}

/// `user.profile.updated`.
struct UserProfileUpdated: Encodable {
    let userId: String
    let plan: String
    let changes: [String]
}
