// The payloads of the events this plugin consumes and produces (plugins/README.md).

/// Plans, lowest to highest.
let plans = ["basic", "pro", "premium"]

struct UserRegistered: UserPayload {
    var userId: String
    var email: String
    var displayName: String
    var plan: String

    func violation() -> String? {
        if let empty = FieldRule.nonEmpty(["email": email]) { return empty }
        guard plans.contains(plan) else { return "field 'payload.plan' must be one of \(plans.joined(separator: ", ")), got '\(plan)'" }
        return nil
    }
}

struct UserLogin: UserPayload {
    var userId: String
    var sessionId: String
    var ip: String?
}

struct MissionStarted: UserPayload {
    var userId: String
    var missionId: String
    @Integer var ticketCost: Int

    func violation() -> String? {
        FieldRule.nonEmpty(["missionId": missionId]) ?? FieldRule.nonNegative("ticketCost", ticketCost)
    }
}

struct MissionCompleted: UserPayload {
    var userId: String
    var missionId: String
    var resultKey: String
    @Integer var durationSeconds: Int

    func violation() -> String? {
        FieldRule.nonEmpty(["missionId": missionId]) ?? FieldRule.nonNegative("durationSeconds", durationSeconds)
    }
}

struct EvaluationCompleted: UserPayload {
    var userId: String
    var missionId: String
    var evaluationId: String
    @Integer var score: Int
    var passed: Bool
    var feedback: String

    func violation() -> String? {
        if let empty = FieldRule.nonEmpty(["missionId": missionId, "evaluationId": evaluationId]) { return empty }
        guard (0...100).contains(score) else { return "field 'payload.score' must be between 0 and 100, got \(score)" }
        return nil
    }
}

/// `payment.ticket-balance-low`, the catalog's own producer event.
struct TicketBalanceLow: Encodable, Equatable {
    var userId: String
    var balance: Int
    var threshold: Int
    var plan: String
}
