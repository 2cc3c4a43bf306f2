// auth-service-payment-group: payment-events -> account/<userId>.
import EventdServiceKit
import Foundation

extension AuthPlugin {
    func loadAccount(_ userId: String, plan: Plan, at: Date) throws -> Account {
        try store.load(Account.self, Keys.account(userId)) ?? Account(userId: userId, plan: plan, permissions: settings.permissions, at: at)
    }

    /// payment.subscription-renewal-failed: count the consecutive failure, send
    /// the security mail, suspend the account at the configured count, log.
    func renewalFailed(_ incoming: Incoming<RenewalFailed>) throws {
        let p = incoming.payload
        let plan = try Plan.parse(p.plan, field: "plan")
        var account = try loadAccount(incoming.userId, plan: plan, at: incoming.at)
        account.consecutivePaymentFailures += 1
        account.totalPaymentFailures += 1
        account.lastPaymentFailure = PaymentFailure(at: incoming.at, subscriptionId: p.subscriptionId, plan: plan, amount: p.amount, reason: p.reason)
        account.updatedAt = incoming.at
        let failures = account.consecutivePaymentFailures
        let suspend = failures >= settings.suspendAfterFailures && account.status != Account.suspended
        if suspend {
            account.status = Account.suspended
            account.suspendedAt = incoming.at
            account.suspensionReason = "payment-renewal-failed"
        }
        try store.save(Keys.account(incoming.userId), account)

        let out = followUps(incoming)
        let details = ["subscriptionId": p.subscriptionId, "plan": plan.rawValue, "amount": String(p.amount),
                       "reason": p.reason, "consecutiveFailures": String(failures)]
        try notifyUser(out, incoming, "security.payment-failed", details)
        var log: [(action: String, detail: [String: String])] = [("payment-failure-recorded", details)]
        if suspend {
            try notifyUser(out, incoming, "security.account-suspended",
                           ["subscriptionId": p.subscriptionId, "consecutiveFailures": String(failures), "reason": "payment-renewal-failed"])
            log.append(("account-suspended", ["consecutiveFailures": String(failures)]))
            host.log(.warning, "account suspended after consecutive renewal failures",
                     ["userId": incoming.userId, "failures": String(failures)])
        }
        try audit(incoming, .payment, log)
    }

    /// payment.subscription-changed: role and permissions of the new plan
    /// (upgrade grants, downgrade revokes), and access restored: a plan change
    /// is a successful payment, so the suspension and the failure count end.
    func subscriptionChanged(_ incoming: Incoming<SubscriptionChanged>) throws {
        let p = incoming.payload
        let from = try Plan.parse(p.fromPlan, field: "fromPlan")
        let to = try Plan.parse(p.toPlan, field: "toPlan")
        var account = try loadAccount(incoming.userId, plan: from, at: incoming.at)
        if account.plan != from {
            host.log(.warning, "plan change from a plan other than the stored one",
                     ["userId": incoming.userId, "stored": account.plan.rawValue, "fromPlan": from.rawValue])
        }
        let before = account.permissions
        let after = settings.permissions.permissions(to)
        let granted = after.filter { !before.contains($0) }
        let revoked = before.filter { !after.contains($0) }
        let wasSuspended = account.status == Account.suspended
        account.plan = to
        account.role = settings.permissions.role(to)
        account.permissions = after
        account.status = Account.active
        account.consecutivePaymentFailures = 0
        account.suspendedAt = nil
        account.suspensionReason = nil
        if wasSuspended { account.accessRestoredAt = incoming.at }
        account.updatedAt = incoming.at
        try store.save(Keys.account(incoming.userId), account)

        let out = followUps(incoming)
        if wasSuspended {
            try notifyUser(out, incoming, "security.access-restored", ["plan": to.rawValue, "subscriptionId": p.subscriptionId])
        }
        var detail = ["fromPlan": from.rawValue, "toPlan": to.rawValue, "direction": PlanDirection(from: from, to: to).rawValue,
                      "role": account.role, "granted": granted.joined(separator: ","), "revoked": revoked.joined(separator: ","),
                      "accessRestored": String(wasSuspended), "subscriptionId": p.subscriptionId]
        if let refund = p.refundAmount { detail["refundAmount"] = String(refund) }
        try audit(incoming, .payment, [("permissions-updated", detail)])
    }

    /// payment.ticket-balance-low: session flag, marketing mail, upgrade
    /// campaign for basic-plan users, log.
    func ticketBalanceLow(_ incoming: Incoming<TicketBalanceLow>) throws {
        let p = incoming.payload
        let plan = try Plan.parse(p.plan, field: "plan")
        var account = try loadAccount(incoming.userId, plan: plan, at: incoming.at)
        account.sessionFlags = SessionFlags(ticketBalanceLow: true, ticketBalance: p.balance, ticketThreshold: p.threshold,
                                            ticketBalanceLowAt: incoming.at)
        account.updatedAt = incoming.at
        try store.save(Keys.account(incoming.userId), account)

        let out = followUps(incoming)
        try notifyUser(out, incoming, "marketing.ticket-balance-low",
                       ["balance": String(p.balance), "threshold": String(p.threshold), "plan": plan.rawValue])
        let campaign = plan == .basic
        if campaign {
            try notifyUser(out, incoming, "marketing.upgrade-campaign",
                           ["currentPlan": plan.rawValue, "suggestedPlan": Plan.pro.rawValue, "balance": String(p.balance)])
        }
        try audit(incoming, .payment, [("ticket-balance-low-flagged",
                                        ["balance": String(p.balance), "threshold": String(p.threshold), "plan": plan.rawValue,
                                         "upgradeCampaign": String(campaign)])])
    }
}
