// The payment-events payloads of the catalog (plugins/README.md).

/// `payment.subscription-renewal-failed`.
public struct RenewalFailed: UserPayload, Codable, Equatable, Sendable {
    public var userId, subscriptionId, plan: String
    public var amount: Int
    public var reason: String

    public func validate(_ rules: PayloadRules) throws {
        try Check.nonEmpty(subscriptionId, "subscriptionId")
        _ = try Plan.parse(plan, field: "plan")
        try Check.nonNegative(amount, "amount")
    }
}

/// `payment.subscription-changed` (alias `subscription.changed`).
public struct SubscriptionChanged: UserPayload, Codable, Equatable, Sendable {
    public var userId, subscriptionId, fromPlan, toPlan: String
    public var refundAmount: Int?

    public func validate(_ rules: PayloadRules) throws {
        try Check.nonEmpty(subscriptionId, "subscriptionId")
        _ = try Plan.parse(fromPlan, field: "fromPlan")
        _ = try Plan.parse(toPlan, field: "toPlan")
        if let refundAmount { try Check.nonNegative(refundAmount, "refundAmount") }
    }
}

/// `payment.ticket-balance-low` (consumed by auth and user, produced by payment).
public struct TicketBalanceLow: UserPayload, Codable, Equatable, Sendable {
    public var userId: String
    public var balance, threshold: Int
    public var plan: String

    public init(userId: String, balance: Int, threshold: Int, plan: String) {
        (self.userId, self.balance, self.threshold, self.plan) = (userId, balance, threshold, plan)
    }

    public func validate(_ rules: PayloadRules) throws {
        try Check.nonNegative(balance, "balance")
        try Check.nonNegative(threshold, "threshold")
        _ = try Plan.parse(plan, field: "plan")
    }
}
