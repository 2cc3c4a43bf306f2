// user-service-auth-group (user.registered) and user-service-payment-group
// (renewal failed, plan changed, ticket balance low).
import EventdServiceKit
import Foundation

extension UserPlugin {
    /// user.registered: profile, default settings, system permissions, onboarding
    /// started with the welcome mail. A second registration of the same user
    /// (a new event id) changes nothing.
    func userRegistered(_ incoming: Incoming<UserRegistered>) throws {
        let p = incoming.payload, user = incoming.userId
        let plan = try Plan.parse(p.plan, field: "plan")
        if try store.load(Profile.self, Keys.profile(user)) != nil {
            host.log(.info, "user already registered; registration ignored", ["userId": user, "eventId": incoming.eventId])
            return
        }
        try store.save(Keys.profile(user), Profile(
            userId: user, email: p.email, displayName: p.displayName, plan: plan, registeredAt: incoming.at,
            systemPermissions: settings.systemPermissions,
            onboarding: Onboarding(status: "started", step: "welcome", startedAt: incoming.at)))
        let defaults = ["language": settings.defaultLanguage, "timezone": settings.defaultTimezone, "emailNotifications": "true",
                        "marketingEmails": "false", "theme": "system"]
        var stored = try store.load(UserSettings.self, Keys.settings(user)) ?? UserSettings(userId: user, values: [:], updatedAt: incoming.at)
        stored.values = defaults.merging(stored.values) { _, existing in existing }
        stored.updatedAt = incoming.at
        try store.save(Keys.settings(user), stored)

        let out = followUps(incoming)
        try notify(out, incoming, "onboarding.welcome", ["displayName": p.displayName, "plan": plan.rawValue])
    }

    /// payment.subscription-renewal-failed: failure state, payment-failed mail,
    /// service-restriction notice at the `restrict_after_failures`-th
    /// consecutive failure (counted since the latest plan change), and
    /// user.settings.changed with the payment flags.
    func renewalFailed(_ incoming: Incoming<RenewalFailed>) throws {
        let p = incoming.payload, user = incoming.userId, at = incoming.at
        let plan = try Plan.parse(p.plan, field: "plan")
        var billing = try store.load(Billing.self, Keys.billing(user)) ?? Billing(userId: user)
        let resetAt = try store.load(SubscriptionCache.self, Keys.subscription(user))?.changedAt
        billing.totalFailures += 1
        if let resetAt, at <= resetAt {
            // The plan change (a successful payment) came after this failure: it no longer counts.
            billing.supersededFailures += 1
            try store.save(Keys.billing(user), billing)
            host.log(.info, "renewal failure predates the latest plan change; recorded only", ["userId": user, "eventId": incoming.eventId])
            return
        }
        let consecutive: Int
        if billing.countedSince == resetAt {
            consecutive = billing.consecutiveFailures + 1
        } else {
            consecutive = billing.failures.filter { $0.at > (resetAt ?? .distantPast) }.count + 1
        }
        billing.countedSince = resetAt
        appendBounded(&billing.failures, PaymentFailure(at: at, subscriptionId: p.subscriptionId, plan: plan, amount: p.amount, reason: p.reason),
                      limit: 10)
        billing.consecutiveFailures = consecutive
        billing.paymentFailed = true
        billing.serviceRestricted = consecutive >= settings.restrictAfterFailures
        billing.lastFailureAt = at
        let restrictedNow = consecutive == settings.restrictAfterFailures
        if restrictedNow { billing.serviceRestrictedAt = at }
        try store.save(Keys.billing(user), billing)

        let out = followUps(incoming)
        try notify(out, incoming, "billing.payment-failed", ["subscriptionId": p.subscriptionId, "plan": plan.rawValue,
                                                             "amount": String(p.amount), "reason": p.reason,
                                                             "consecutiveFailures": String(consecutive)])
        if restrictedNow {
            try notify(out, incoming, "billing.service-restricted", ["subscriptionId": p.subscriptionId, "consecutiveFailures": String(consecutive)])
        }
        try settingsChanged(out, incoming, ["paymentFailed": "true", "serviceRestricted": String(billing.serviceRestricted),
                                            "consecutivePaymentFailures": String(consecutive)])
    }

    /// payment.subscription-changed (also subscription.changed): plan cache,
    /// congratulation or guidance mail (welcome guide on upgrade),
    /// user.profile.updated; a failed-payment state older than the change is
    /// cleared with user.settings.changed. A change older than the cached one
    /// (it arrived late through the other topic) is ignored.
    func subscriptionChanged(_ incoming: Incoming<SubscriptionChanged>) throws {
        let p = incoming.payload, user = incoming.userId, at = incoming.at
        let from = try Plan.parse(p.fromPlan, field: "fromPlan")
        let to = try Plan.parse(p.toPlan, field: "toPlan")
        let cached = try store.load(SubscriptionCache.self, Keys.subscription(user))
        if let cached, at < cached.changedAt {
            host.log(.info, "plan change older than the cached one; ignored", ["userId": user, "eventId": incoming.eventId])
            return
        }
        let direction = PlanDirection(from: from, to: to)
        var subscription = cached ?? SubscriptionCache(userId: user, plan: to, previousPlan: from, subscriptionId: p.subscriptionId,
                                                       changedAt: at, changes: 0, history: [])
        subscription.plan = to
        subscription.previousPlan = from
        subscription.subscriptionId = p.subscriptionId
        subscription.changedAt = at
        subscription.changes += 1
        appendBounded(&subscription.history, PlanChange(at: at, fromPlan: from, toPlan: to, direction: direction, refundAmount: p.refundAmount),
                      limit: settings.historySize)
        let billing = try store.load(Billing.self, Keys.billing(user))
        // Clear a failed payment state once: it failed before this change and no
        // earlier change cleared it since that failure.
        let clearPayment = billing.map { billing in
            let failedAt = billing.lastFailureAt ?? .distantPast
            let alreadyCleared = cached?.paymentStateClearedAt.map { $0 >= failedAt } ?? false
            return billing.paymentFailed && failedAt < at && !alreadyCleared
        } ?? false
        if clearPayment { subscription.paymentStateClearedAt = at }
        try store.save(Keys.subscription(user), subscription)

        let out = followUps(incoming)
        var data = ["fromPlan": from.rawValue, "toPlan": to.rawValue, "subscriptionId": p.subscriptionId]
        if let refund = p.refundAmount { data["refundAmount"] = String(refund) }
        switch direction {
        case .upgrade:
            try notify(out, incoming, "subscription.upgraded", data)
            try notify(out, incoming, "onboarding.plan-guide", ["plan": to.rawValue])
        case .downgrade:
            try notify(out, incoming, "subscription.downgraded", data)
        case .unchanged:
            try notify(out, incoming, "subscription.changed", data)
        }
        try profileUpdated(out, incoming, plan: to, changes: from == to ? ["subscription"] : ["plan"])
        if clearPayment {
            try settingsChanged(out, incoming, ["paymentFailed": "false", "serviceRestricted": "false", "consecutivePaymentFailures": "0"])
        }
    }

    /// payment.ticket-balance-low: low-balance mail, upgrade suggestion on the
    /// basic plan, auto-charge guidance (the first time only), and
    /// user.settings.changed with the ticketBalanceLow flag.
    func ticketBalanceLow(_ incoming: Incoming<TicketBalanceLow>) throws {
        let p = incoming.payload, user = incoming.userId
        let plan = try Plan.parse(p.plan, field: "plan")
        var billing = try store.load(Billing.self, Keys.billing(user)) ?? Billing(userId: user)
        billing.ticketBalanceLow = true
        billing.ticketBalance = p.balance
        billing.ticketThreshold = p.threshold
        billing.ticketBalanceLowAt = incoming.at
        billing.lowBalanceWarnings += 1
        let guide = billing.autoChargeGuideSentAt == nil
        if guide { billing.autoChargeGuideSentAt = incoming.at }
        try store.save(Keys.billing(user), billing)

        let out = followUps(incoming)
        try notify(out, incoming, "billing.ticket-balance-low", ["balance": String(p.balance), "threshold": String(p.threshold), "plan": plan.rawValue])
        if plan == .basic {
            try notify(out, incoming, "marketing.upgrade-suggestion", ["currentPlan": plan.rawValue, "suggestedPlan": Plan.pro.rawValue])
        }
        if guide {
            try notify(out, incoming, "billing.auto-charge-guide", ["balance": String(p.balance), "threshold": String(p.threshold)])
        }
        try settingsChanged(out, incoming, ["ticketBalanceLow": "true", "ticketBalance": String(p.balance)])
    }
}
