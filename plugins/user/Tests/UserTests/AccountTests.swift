import EventdPluginTesting
import Foundation
import Testing
import User

@Suite struct UserRegisteredTests {
    let name = "user.registered"

    @Test func registrationInitialisesProfileSettingsPermissionsAndOnboarding() throws {
        let f = try Fixture()
        #expect(f.doc("profile/u-1") == nil)
        #expect(f.send(name, id: "e-1", at: time(0), payload: registered(plan: "pro")) == .ok)
        let profile = try #require(f.doc("profile/u-1"))
        #expect(profile["userId"] as? String == user)
        #expect(profile["email"] as? String == "kim@example.com")
        #expect(profile["displayName"] as? String == "Kim")
        #expect(profile["plan"] as? String == "pro")
        #expect(profile["registeredAt"] as? String == TestTime(0).written)
        #expect(profile["systemPermissions"] as? [String] == ["profile.read", "profile.write", "settings.write", "missions.browse", "notifications.receive"])
        #expect(profile["onboarding"] as? [String: String] == ["status": "started", "step": "welcome", "startedAt": TestTime(0).written])
        let settings = try #require(f.doc("settings/u-1"))
        #expect(settings["values"] as? [String: String] == ["language": "ko", "timezone": "Asia/Seoul", "emailNotifications": "true",
                                                            "marketingEmails": "false", "theme": "system"])
        #expect(settings["updatedAt"] as? String == TestTime(0).written)
        #expect(f.produced.count == 1)
        expected.notification(f.produced[0], source: "e-1", index: 0, at: TestTime(0), template: "onboarding.welcome",
                           data: ["displayName": "Kim", "plan": "pro"])
    }

    @Test func aSecondRegistrationChangesNothing() throws {
        let f = try Fixture()
        f.send(name, id: "e-1", at: time(0), payload: registered(plan: "basic"))
        let before = f.host.state
        f.clearProduced()
        var again = registered(plan: "premium")
        again["displayName"] = "Lee"
        #expect(f.send(name, id: "e-2", at: time(60), payload: again) == .ok)
        #expect(f.host.state == before)
        #expect(f.produced.isEmpty)
    }

    @Test func defaultsComeFromSettings() throws {
        let f = try Fixture(settings: #"{"default_language":"en","default_timezone":"UTC","system_permissions":["profile.read"],"notification_topic":"mails"}"#)
        f.send(name, id: "e-1", payload: registered())
        #expect(f.doc("profile/u-1")?["systemPermissions"] as? [String] == ["profile.read"])
        #expect((f.doc("settings/u-1")?["values"] as? [String: String])?["language"] == "en")
        #expect((f.doc("settings/u-1")?["values"] as? [String: String])?["timezone"] == "UTC")
        #expect(f.produced.map(\.topic) == ["mails"])
    }

    @Test func theCatalogTopicIsAuthEvents() throws {
        // plugins.d/user.toml reads user.registered from auth-events only; the handler itself does not care.
        let f = try Fixture()
        #expect(f.send(name, id: "e-1", payload: registered(), topic: "auth-events") == .ok)
    }
}

@Suite struct RenewalFailedTests {
    let name = "payment.subscription-renewal-failed"

    @Test func aFailureRecordsStateMailsAndPublishesTheSettings() throws {
        let f = try Fixture()
        #expect(f.send(name, id: "e-1", at: time(0), payload: renewalFailed()) == .ok)
        let billing = try #require(f.doc("billing/u-1"))
        #expect(billing["paymentFailed"] as? Bool == true)
        #expect(billing["serviceRestricted"] as? Bool == false)
        #expect(billing["consecutiveFailures"] as? Int == 1)
        #expect(billing["totalFailures"] as? Int == 1)
        #expect(billing["lastFailureAt"] as? String == TestTime(0).written)
        let failures = try #require(billing["failures"] as? [[String: Any]])
        #expect(failures.count == 1)
        #expect(failures[0]["amount"] as? Int == 9900)
        #expect(failures[0]["plan"] as? String == "pro")
        #expect(failures[0]["subscriptionId"] as? String == "sub-1")
        #expect(failures[0]["reason"] as? String == "card declined")

        #expect(f.produced.count == 2)
        expected.notification(f.produced[0], source: "e-1", index: 0, at: TestTime(0), template: "billing.payment-failed",
                           data: ["subscriptionId": "sub-1", "plan": "pro", "amount": "9900", "reason": "card declined", "consecutiveFailures": "1"])
        expectUserEvent(f.produced[1], source: "e-1", index: 1, at: TestTime(0), type: "user.settings.changed", payload: [
            "userId": user, "reason": name,
            "settings": ["paymentFailed": "true", "serviceRestricted": "false", "consecutivePaymentFailures": "1"],
        ])
    }

    @Test func theThirdConsecutiveFailureRestrictsTheServiceOnce() throws {
        let f = try Fixture()
        f.send(name, id: "e-1", at: time(0), payload: renewalFailed())
        f.send(name, id: "e-2", at: time(10), payload: renewalFailed())
        f.clearProduced()
        #expect(f.send(name, id: "e-3", at: time(20), payload: renewalFailed()) == .ok)
        let billing = try #require(f.doc("billing/u-1"))
        #expect(billing["serviceRestricted"] as? Bool == true)
        #expect(billing["serviceRestrictedAt"] as? String == TestTime(20).written)
        #expect(billing["consecutiveFailures"] as? Int == 3)
        #expect(f.produced.count == 3)
        #expect(f.produced[0].template == "billing.payment-failed")
        expected.notification(f.produced[1], source: "e-3", index: 1, at: TestTime(20), template: "billing.service-restricted",
                           data: ["subscriptionId": "sub-1", "consecutiveFailures": "3"])
        expectUserEvent(f.produced[2], source: "e-3", index: 2, at: TestTime(20), type: "user.settings.changed", payload: [
            "userId": user, "reason": name,
            "settings": ["paymentFailed": "true", "serviceRestricted": "true", "consecutivePaymentFailures": "3"],
        ])

        f.clearProduced()
        f.send(name, id: "e-4", at: time(30), payload: renewalFailed())
        #expect(f.produced.map(\.eventType) == ["notification.requested", "user.settings.changed"])
        #expect(f.produced[1].settings["serviceRestricted"] == "true")
        #expect(f.doc("billing/u-1")?["serviceRestrictedAt"] as? String == TestTime(20).written)
    }

    @Test func theRestrictionThresholdComesFromSettings() throws {
        let f = try Fixture(settings: #"{"restrict_after_failures":1,"user_topic":"profiles"}"#)
        f.send(name, id: "e-1", payload: renewalFailed())
        #expect(f.produced.map(\.template) == ["billing.payment-failed", "billing.service-restricted", ""])
        #expect(f.produced[2].topic == "profiles")
        #expect(f.produced[2].settings["serviceRestricted"] == "true")
    }

    @Test func aPlanChangeEndsTheStreak() throws {
        let f = try Fixture()
        f.send(name, id: "e-1", at: time(0), payload: renewalFailed())
        f.send(name, id: "e-2", at: time(10), payload: renewalFailed())
        f.send("payment.subscription-changed", id: "e-3", at: time(20), payload: subscriptionChanged(from: "pro", to: "pro"))
        f.clearProduced()
        f.send(name, id: "e-4", at: time(30), payload: renewalFailed())
        let billing = try #require(f.doc("billing/u-1"))
        #expect(billing["consecutiveFailures"] as? Int == 1)
        #expect(billing["totalFailures"] as? Int == 3)
        #expect(billing["countedSince"] as? String == TestTime(20).written)
        #expect(f.produced[1].settings["consecutivePaymentFailures"] == "1")
        // Two more make three since the change.
        f.send(name, id: "e-5", at: time(40), payload: renewalFailed())
        f.clearProduced()
        f.send(name, id: "e-6", at: time(50), payload: renewalFailed())
        #expect(f.produced.map(\.template) == ["billing.payment-failed", "billing.service-restricted", ""])
    }

    @Test func aFailureOlderThanTheLatestPlanChangeIsOnlyRecorded() throws {
        // The plan change arrived first through subscription-events; the failure before it comes later through payment-events.
        let f = try Fixture()
        f.send("payment.subscription-changed", id: "e-1", at: time(100), payload: subscriptionChanged(), topic: "subscription-events")
        f.clearProduced()
        #expect(f.send(name, id: "e-2", at: time(50), payload: renewalFailed()) == .ok)
        let billing = try #require(f.doc("billing/u-1"))
        #expect(billing["paymentFailed"] as? Bool == false)
        #expect(billing["consecutiveFailures"] as? Int == 0)
        #expect(billing["totalFailures"] as? Int == 1)
        #expect(billing["supersededFailures"] as? Int == 1)
        #expect(f.produced.isEmpty)
    }
}

@Suite struct SubscriptionChangedTests {
    let name = "payment.subscription-changed"

    @Test func upgradeCachesThePlanCongratulatesGuidesAndUpdatesTheProfile() throws {
        let f = try Fixture()
        #expect(f.send(name, id: "e-1", at: time(0), payload: subscriptionChanged(from: "basic", to: "pro")) == .ok)
        let subscription = try #require(f.doc("subscription/u-1"))
        #expect(subscription["plan"] as? String == "pro")
        #expect(subscription["previousPlan"] as? String == "basic")
        #expect(subscription["subscriptionId"] as? String == "sub-1")
        #expect(subscription["changedAt"] as? String == TestTime(0).written)
        #expect(subscription["changes"] as? Int == 1)
        #expect(subscription["paymentStateClearedAt"] == nil)
        let history = try #require(subscription["history"] as? [[String: Any]])
        #expect(history.count == 1)
        #expect(history[0]["direction"] as? String == "upgrade")
        #expect(history[0]["refundAmount"] == nil)

        #expect(f.produced.count == 3)
        expected.notification(f.produced[0], source: "e-1", index: 0, at: TestTime(0), template: "subscription.upgraded",
                           data: ["fromPlan": "basic", "toPlan": "pro", "subscriptionId": "sub-1"])
        expected.notification(f.produced[1], source: "e-1", index: 1, at: TestTime(0), template: "onboarding.plan-guide", data: ["plan": "pro"])
        expectUserEvent(f.produced[2], source: "e-1", index: 2, at: TestTime(0), type: "user.profile.updated",
                        payload: ["userId": user, "plan": "pro", "changes": ["plan"]])
    }

    @Test func downgradeSendsGuidanceWithTheRefund() throws {
        let f = try Fixture()
        f.send(name, id: "e-1", at: time(0), payload: subscriptionChanged(from: "premium", to: "basic", refund: 4500))
        #expect(f.produced.count == 2)
        expected.notification(f.produced[0], source: "e-1", index: 0, at: TestTime(0), template: "subscription.downgraded",
                           data: ["fromPlan": "premium", "toPlan": "basic", "subscriptionId": "sub-1", "refundAmount": "4500"])
        expectUserEvent(f.produced[1], source: "e-1", index: 1, at: TestTime(0), type: "user.profile.updated",
                        payload: ["userId": user, "plan": "basic", "changes": ["plan"]])
        #expect((f.doc("subscription/u-1")?["history"] as? [[String: Any]])?.first?["refundAmount"] as? Int == 4500)
    }

    @Test func theSamePlanIsASubscriptionChange() throws {
        let f = try Fixture()
        f.send(name, id: "e-1", at: time(0), payload: subscriptionChanged(from: "pro", to: "pro"))
        #expect(f.produced.map(\.template) == ["subscription.changed", ""])
        #expect(f.produced[1].payload["changes"] as? [String] == ["subscription"])
    }

    @Test func theSubscriptionEventsCopyIsHandledTheSameWay() throws {
        // subscription.changed on subscription-events: the daemon resolves the alias; the ledger makes the two copies one.
        let a = try Fixture(), b = try Fixture()
        a.send(name, id: "e-1", at: time(0), payload: subscriptionChanged(), topic: "payment-events")
        #expect(b.host.handle(Event(topic: "subscription-events", value: envelopeJSON(id: "e-1", type: "subscription.changed", at: time(0),
                                                                                subject: user, payload: subscriptionChanged()),
                                    name: name, id: "e-1", consumerGroup: UserPlugin.paymentGroup)) == .ok)
        #expect(a.host.produced.map(\.timeless) == b.host.produced.map(\.timeless))
        #expect(a.host.state == b.host.state)
    }

    @Test func anOlderChangeArrivingLateIsIgnored() throws {
        let f = try Fixture()
        f.send(name, id: "e-2", at: time(100), payload: subscriptionChanged(from: "pro", to: "premium"))
        f.clearProduced()
        #expect(f.send(name, id: "e-1", at: time(50), payload: subscriptionChanged(from: "basic", to: "pro")) == .ok)
        #expect(f.doc("subscription/u-1")?["plan"] as? String == "premium")
        #expect(f.doc("subscription/u-1")?["changes"] as? Int == 1)
        #expect(f.produced.isEmpty)
    }

    @Test func aChangeAfterFailedPaymentsClearsTheFailureSettings() throws {
        let f = try Fixture()
        for i in 0..<3 { f.send("payment.subscription-renewal-failed", id: "f-\(i)", at: time(i * 10), payload: renewalFailed()) }
        f.clearProduced()
        #expect(f.send(name, id: "e-1", at: time(100), payload: subscriptionChanged(from: "pro", to: "pro")) == .ok)
        #expect(f.doc("subscription/u-1")?["paymentStateClearedAt"] as? String == TestTime(100).written)
        #expect(f.produced.count == 3)
        expectUserEvent(f.produced[2], source: "e-1", index: 2, at: TestTime(100), type: "user.settings.changed", payload: [
            "userId": user, "reason": name,
            "settings": ["paymentFailed": "false", "serviceRestricted": "false", "consecutivePaymentFailures": "0"],
        ])
        // A further change has nothing left to clear; a new failure and a change clear again.
        f.clearProduced()
        f.send(name, id: "e-2", at: time(200), payload: subscriptionChanged(from: "pro", to: "premium"))
        #expect(f.produced.map(\.eventType) == ["notification.requested", "notification.requested", "user.profile.updated"])
        #expect(f.doc("subscription/u-1")?["paymentStateClearedAt"] as? String == TestTime(100).written)
        f.send("payment.subscription-renewal-failed", id: "f-9", at: time(300), payload: renewalFailed())
        f.clearProduced()
        f.send(name, id: "e-3", at: time(400), payload: subscriptionChanged(from: "premium", to: "premium"))
        #expect(f.produced.last?.eventType == "user.settings.changed")
        #expect(f.doc("subscription/u-1")?["paymentStateClearedAt"] as? String == TestTime(400).written)
    }
}

@Suite struct TicketBalanceLowTests {
    let name = "payment.ticket-balance-low"

    @Test func basicPlanFirstWarning() throws {
        let f = try Fixture()
        #expect(f.send(name, id: "e-1", at: time(0), payload: balanceLow(plan: "basic", balance: 2, threshold: 5)) == .ok)
        let billing = try #require(f.doc("billing/u-1"))
        #expect(billing["ticketBalanceLow"] as? Bool == true)
        #expect(billing["ticketBalance"] as? Int == 2)
        #expect(billing["ticketThreshold"] as? Int == 5)
        #expect(billing["ticketBalanceLowAt"] as? String == TestTime(0).written)
        #expect(billing["lowBalanceWarnings"] as? Int == 1)
        #expect(billing["autoChargeGuideSentAt"] as? String == TestTime(0).written)
        #expect(billing["paymentFailed"] as? Bool == false)
        #expect(f.produced.count == 4)
        expected.notification(f.produced[0], source: "e-1", index: 0, at: TestTime(0), template: "billing.ticket-balance-low",
                           data: ["balance": "2", "threshold": "5", "plan": "basic"])
        expected.notification(f.produced[1], source: "e-1", index: 1, at: TestTime(0), template: "marketing.upgrade-suggestion",
                           data: ["currentPlan": "basic", "suggestedPlan": "pro"])
        expected.notification(f.produced[2], source: "e-1", index: 2, at: TestTime(0), template: "billing.auto-charge-guide",
                           data: ["balance": "2", "threshold": "5"])
        expectUserEvent(f.produced[3], source: "e-1", index: 3, at: TestTime(0), type: "user.settings.changed", payload: [
            "userId": user, "reason": name, "settings": ["ticketBalanceLow": "true", "ticketBalance": "2"],
        ])
    }

    @Test func laterWarningsSkipTheAutoChargeGuideAndPaidPlansTheUpgrade() throws {
        let f = try Fixture()
        f.send(name, id: "e-1", at: time(0), payload: balanceLow(plan: "basic"))
        f.clearProduced()
        f.send(name, id: "e-2", at: time(10), payload: balanceLow(plan: "basic", balance: 1))
        #expect(f.produced.map(\.template) == ["billing.ticket-balance-low", "marketing.upgrade-suggestion", ""])
        #expect(f.produced[2].settings == ["ticketBalanceLow": "true", "ticketBalance": "1"])
        f.clearProduced()
        f.send(name, id: "e-3", at: time(20), payload: balanceLow(plan: "premium", balance: 0))
        #expect(f.produced.map(\.template) == ["billing.ticket-balance-low", ""])
        let billing = try #require(f.doc("billing/u-1"))
        #expect(billing["lowBalanceWarnings"] as? Int == 3)
        #expect(billing["autoChargeGuideSentAt"] as? String == TestTime(0).written)
    }
}
