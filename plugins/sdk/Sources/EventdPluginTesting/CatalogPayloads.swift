// Valid payment-events payloads of the catalog (plugins/README.md) as JSON
// objects of `ServiceFixture.defaultUser`, for tests of the plugins that
// consume them (auth, user); arguments make one field invalid.

public func renewalFailed(amount: Any = 9900, plan: Any = "pro") -> [String: Any] {
    ["userId": ServiceFixture.defaultUser, "subscriptionId": "sub-1", "plan": plan, "amount": amount, "reason": "card declined"]
}

public func subscriptionChanged(from: String = "basic", to: String = "pro", refund: Int? = nil) -> [String: Any] {
    var p: [String: Any] = ["userId": ServiceFixture.defaultUser, "subscriptionId": "sub-1", "fromPlan": from, "toPlan": to]
    if let refund { p["refundAmount"] = refund }
    return p
}

public func balanceLow(plan: String = "basic", balance: Int = 2, threshold: Int = 5) -> [String: Any] {
    ["userId": ServiceFixture.defaultUser, "balance": balance, "threshold": threshold, "plan": plan]
}
