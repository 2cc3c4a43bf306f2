// The payloads of the events this plugin consumes (plugins/README.md).

struct UserRegistered: UserPayload {
    var userId: String
    var email: String
    var displayName: String
    var plan: String

    static let plans = ["basic", "pro", "premium"]

    func violation() -> String? {
        if let empty = FieldRule.nonEmpty(["email": email]) { return empty }
        guard Self.plans.contains(plan) else {
            return "field 'payload.plan' must be one of \(Self.plans.joined(separator: ", ")), got '\(plan)'"
        }
        return nil
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

struct ResourceCreated: UserPayload {
    var userId: String
    var missionId: String
    var resourceId: String

    func violation() -> String? {
        FieldRule.nonEmpty(["missionId": missionId, "resourceId": resourceId])
    }
}
