import Auth
import EventdPluginTesting
import Testing

@Suite struct RenewalFailedTests {
    let name = "payment.subscription-renewal-failed"

    @Test func firstFailureCreatesTheAccountCountsAndSendsTheSecurityMail() throws {
        let f = try Fixture()
        #expect(f.doc("account/u-1") == nil)
        #expect(f.send(name, id: "e-1", at: time(0), payload: renewalFailed()) == .ok)

        let account = try #require(f.doc("account/u-1"))
        #expect(account["userId"] as? String == user)
        #expect(account["status"] as? String == "active")
        #expect(account["plan"] as? String == "pro")
        #expect(account["role"] as? String == "pro-member")
        #expect(account["permissions"] as? [String] == ["missions.basic", "missions.advanced", "evaluations.view", "evaluations.retry", "reports.download"])
        #expect(account["consecutivePaymentFailures"] as? Int == 1)
        #expect(account["totalPaymentFailures"] as? Int == 1)
        #expect(account["suspendedAt"] == nil)
        let last = try #require(account["lastPaymentFailure"] as? [String: Any])
        #expect(last["subscriptionId"] as? String == "sub-1")
        #expect(last["amount"] as? Int == 9900)
        #expect(last["reason"] as? String == "card declined")
        #expect(last["at"] as? String == TestTime(0).written)

        #expect(f.produced.count == 1)
        expected.notification(f.produced[0], source: "e-1", index: 0, at: TestTime(0), template: "security.payment-failed",
                           data: ["subscriptionId": "sub-1", "plan": "pro", "amount": "9900", "reason": "card declined", "consecutiveFailures": "1"])
        let audit = f.auditEntries("payment")
        #expect(audit.count == 1)
        #expect(audit[0]["action"] as? String == "payment-failure-recorded")
        #expect(audit[0]["eventId"] as? String == "e-1")
        #expect(audit[0]["event"] as? String == name)
        #expect(audit[0]["at"] as? String == TestTime(0).written)
        #expect((audit[0]["detail"] as? [String: String])?["consecutiveFailures"] == "1")
    }

    @Test func thirdConsecutiveFailureSuspendsOnceAndNotifies() throws {
        let f = try Fixture()
        f.send(name, id: "e-1", at: time(0), payload: renewalFailed())
        f.send(name, id: "e-2", at: time(86_400), payload: renewalFailed())
        #expect(f.doc("account/u-1")?["status"] as? String == "active")
        f.clearProduced()

        #expect(f.send(name, id: "e-3", at: time(172_800), payload: renewalFailed()) == .ok)
        let account = try #require(f.doc("account/u-1"))
        #expect(account["status"] as? String == "suspended")
        #expect(account["consecutivePaymentFailures"] as? Int == 3)
        #expect(account["suspendedAt"] as? String == TestTime(172_800).written)
        #expect(account["suspensionReason"] as? String == "payment-renewal-failed")
        #expect(f.produced.count == 2)
        expected.notification(f.produced[0], source: "e-3", index: 0, at: TestTime(172_800), template: "security.payment-failed",
                           data: ["subscriptionId": "sub-1", "plan": "pro", "amount": "9900", "reason": "card declined", "consecutiveFailures": "3"])
        expected.notification(f.produced[1], source: "e-3", index: 1, at: TestTime(172_800), template: "security.account-suspended",
                           data: ["subscriptionId": "sub-1", "consecutiveFailures": "3", "reason": "payment-renewal-failed"])
        #expect(f.auditActions("payment") == ["payment-failure-recorded", "payment-failure-recorded", "payment-failure-recorded", "account-suspended"])

        // A fourth failure counts and mails, but does not suspend again.
        f.clearProduced()
        #expect(f.send(name, id: "e-4", at: time(259_200), payload: renewalFailed()) == .ok)
        #expect(f.produced.map(\.template) == ["security.payment-failed"])
        #expect(f.doc("account/u-1")?["consecutivePaymentFailures"] as? Int == 4)
        #expect(f.doc("account/u-1")?["suspendedAt"] as? String == TestTime(172_800).written)
    }

    @Test func suspensionThresholdComesFromSettings() throws {
        let f = try Fixture(settings: #"{"suspend_after_failures":1}"#)
        #expect(f.send(name, id: "e-1", payload: renewalFailed()) == .ok)
        #expect(f.doc("account/u-1")?["status"] as? String == "suspended")
        #expect(f.produced.map(\.template) == ["security.payment-failed", "security.account-suspended"])
    }

    @Test func aPlanChangeEndsTheFailureStreak() throws {
        let f = try Fixture()
        f.send(name, id: "e-1", at: time(0), payload: renewalFailed())
        f.send(name, id: "e-2", at: time(10), payload: renewalFailed())
        f.send("payment.subscription-changed", id: "e-3", at: time(20), payload: subscriptionChanged(from: "pro", to: "pro"))
        f.send(name, id: "e-4", at: time(30), payload: renewalFailed())
        let account = try #require(f.doc("account/u-1"))
        #expect(account["consecutivePaymentFailures"] as? Int == 1)
        #expect(account["totalPaymentFailures"] as? Int == 3)
        #expect(account["status"] as? String == "active")
    }

    @Test func auditLogIsBounded() throws {
        let f = try Fixture(settings: #"{"audit_log_size":2,"suspend_after_failures":100}"#)
        for i in 1...5 { f.send(name, id: "e-\(i)", at: time(i), payload: renewalFailed()) }
        #expect(f.auditEntries("payment").map { $0["eventId"] as? String } == ["e-4", "e-5"])
    }
}

@Suite struct SubscriptionChangedTests {
    let name = "payment.subscription-changed"

    @Test func upgradeGrantsPermissionsAndRestoresASuspendedAccount() throws {
        let f = try Fixture(settings: #"{"suspend_after_failures":1}"#)
        f.send("payment.subscription-renewal-failed", id: "e-1", at: time(0), payload: renewalFailed(plan: "basic"))
        #expect(f.doc("account/u-1")?["status"] as? String == "suspended")
        #expect(f.doc("account/u-1")?["permissions"] as? [String] == ["missions.basic", "evaluations.view"])
        f.clearProduced()

        #expect(f.send(name, id: "e-2", at: time(60), payload: subscriptionChanged(from: "basic", to: "premium")) == .ok)
        let account = try #require(f.doc("account/u-1"))
        #expect(account["status"] as? String == "active")
        #expect(account["plan"] as? String == "premium")
        #expect(account["role"] as? String == "premium-member")
        #expect(account["permissions"] as? [String] == ["missions.basic", "missions.advanced", "missions.premium", "evaluations.view",
                                                        "evaluations.retry", "reports.download", "mentoring.access", "support.priority"])
        #expect(account["consecutivePaymentFailures"] as? Int == 0)
        #expect(account["suspendedAt"] == nil)
        #expect(account["suspensionReason"] == nil)
        #expect(account["accessRestoredAt"] as? String == TestTime(60).written)

        #expect(f.produced.count == 1)
        expected.notification(f.produced[0], source: "e-2", index: 0, at: TestTime(60), template: "security.access-restored",
                           data: ["plan": "premium", "subscriptionId": "sub-1"])
        let detail = try #require(f.auditEntries("payment").last?["detail"] as? [String: String])
        #expect(f.auditActions("payment").last == "permissions-updated")
        #expect(detail == ["fromPlan": "basic", "toPlan": "premium", "direction": "upgrade", "role": "premium-member",
                           "granted": "missions.advanced,missions.premium,evaluations.retry,reports.download,mentoring.access,support.priority",
                           "revoked": "", "accessRestored": "true", "subscriptionId": "sub-1"])
    }

    @Test func downgradeRevokesPermissionsWithoutMail() throws {
        let f = try Fixture()
        #expect(f.send(name, id: "e-1", payload: subscriptionChanged(from: "premium", to: "basic", refund: 5000)) == .ok)
        let account = try #require(f.doc("account/u-1"))
        #expect(account["plan"] as? String == "basic")
        #expect(account["role"] as? String == "basic-member")
        #expect(account["permissions"] as? [String] == ["missions.basic", "evaluations.view"])
        #expect(account["accessRestoredAt"] == nil)
        #expect(f.produced.isEmpty)
        let detail = try #require(f.auditEntries("payment").last?["detail"] as? [String: String])
        #expect(detail["direction"] == "downgrade")
        #expect(detail["granted"] == "")
        #expect(detail["revoked"] == "missions.advanced,missions.premium,evaluations.retry,reports.download,mentoring.access,support.priority")
        #expect(detail["refundAmount"] == "5000")
        #expect(detail["accessRestored"] == "false")
    }

    @Test func permissionTableComesFromSettings() throws {
        let f = try Fixture(settings: #"{"permissions_pro":["a","b"],"permissions_basic":["a"]}"#)
        f.send(name, id: "e-1", payload: subscriptionChanged(from: "basic", to: "pro"))
        #expect(f.doc("account/u-1")?["permissions"] as? [String] == ["a", "b"])
        let detail = try #require(f.auditEntries("payment").last?["detail"] as? [String: String])
        #expect(detail["granted"] == "b")
        #expect(detail["direction"] == "upgrade")
    }

    @Test func samePlanIsUnchanged() throws {
        let f = try Fixture()
        f.send(name, id: "e-1", payload: subscriptionChanged(from: "pro", to: "pro"))
        let detail = try #require(f.auditEntries("payment").last?["detail"] as? [String: String])
        #expect(detail["direction"] == "unchanged")
        #expect(detail["granted"] == "")
        #expect(detail["revoked"] == "")
    }
}

@Suite struct TicketBalanceLowTests {
    let name = "payment.ticket-balance-low"

    @Test func basicPlanGetsTheFlagTheMarketingMailAndTheUpgradeCampaign() throws {
        let f = try Fixture()
        #expect(f.send(name, id: "e-1", at: time(5), payload: balanceLow(plan: "basic", balance: 2, threshold: 5)) == .ok)
        let flags = try #require(f.doc("account/u-1")?["sessionFlags"] as? [String: Any])
        #expect(flags["ticketBalanceLow"] as? Bool == true)
        #expect(flags["ticketBalance"] as? Int == 2)
        #expect(flags["ticketThreshold"] as? Int == 5)
        #expect(flags["ticketBalanceLowAt"] as? String == TestTime(5).written)
        #expect(f.produced.count == 2)
        expected.notification(f.produced[0], source: "e-1", index: 0, at: TestTime(5), template: "marketing.ticket-balance-low",
                           data: ["balance": "2", "threshold": "5", "plan": "basic"])
        expected.notification(f.produced[1], source: "e-1", index: 1, at: TestTime(5), template: "marketing.upgrade-campaign",
                           data: ["currentPlan": "basic", "suggestedPlan": "pro", "balance": "2"])
        #expect(f.auditActions("payment") == ["ticket-balance-low-flagged"])
        #expect((f.auditEntries("payment")[0]["detail"] as? [String: String])?["upgradeCampaign"] == "true")
    }

    @Test func paidPlansGetNoUpgradeCampaign() throws {
        let f = try Fixture()
        #expect(f.send(name, id: "e-1", payload: balanceLow(plan: "premium", balance: 0, threshold: 3)) == .ok)
        #expect(f.produced.map(\.template) == ["marketing.ticket-balance-low"])
        #expect(f.doc("account/u-1")?["plan"] as? String == "premium")
        #expect((f.auditEntries("payment")[0]["detail"] as? [String: String])?["upgradeCampaign"] == "false")
    }

    @Test func keepsAnExistingAccountsPlanAndStatus() throws {
        let f = try Fixture(settings: #"{"suspend_after_failures":1}"#)
        f.send("payment.subscription-renewal-failed", id: "e-1", payload: renewalFailed(plan: "pro"))
        f.send(name, id: "e-2", payload: balanceLow(plan: "basic"))
        let account = try #require(f.doc("account/u-1"))
        #expect(account["plan"] as? String == "pro")
        #expect(account["status"] as? String == "suspended")
    }

    @Test func notificationTopicComesFromSettings() throws {
        let f = try Fixture(settings: #"{"notification_topic":"mail-requests"}"#)
        f.send(name, id: "e-1", payload: balanceLow(plan: "pro"))
        #expect(f.produced.map(\.topic) == ["mail-requests"])
    }
}
