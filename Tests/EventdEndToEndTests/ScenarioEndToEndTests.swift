// The event catalog's integration scenarios end to end: the real daemon with
// all five service plugins (auth, user, payment, mission, ai-evaluation) on
// the embedded broker. Each test publishes catalog events exactly as the
// payload schemas of plugins/README.md say, then asserts the follow-up events
// on their topics and the state the plugins reached (read from their SQLite
// stores). The last test ships a ⚠️ handler to a running daemon by plugin
// reload (no core change, no restart).
import Foundation
import Testing

// MARK: - Scenarios

@Suite(.serialized) struct ScenarioEndToEndTests {
    let run = String(UUID().uuidString.prefix(6)).lowercased()

    /// Catalog scenario 1, payment failure: payment → auth and user management → notification.
    /// Three consecutive renewal failures suspend the account (auth) and restrict the service (user).
    @Test func paymentFailureReachesAuthAndUserManagementAndNotifies() throws {
        let services = try ServiceDaemon("scn-payfail")
        let user = "pf-\(run)"
        try services.publishRenewalFailures(user, ids: "\(run)-renewal-failed", plan: "pro", amount: 19900, reason: "card declined")
        try services.wait("auth's suspension mail and user management's restriction notice") {
            let auth = try services.templates(user, from: "auth-service"), users = try services.templates(user, from: "user-service")
            return auth.contains("security.account-suspended") && users.contains("billing.service-restricted")
        }
        try services.quiesce()

        // Notifications from both services.
        let auth = try services.notifications(user, from: "auth-service")
        #expect(auth.map(\.template).sorted() == ["security.account-suspended", "security.payment-failed", "security.payment-failed",
                                                    "security.payment-failed"])
        #expect(auth.filter { $0.template == "security.payment-failed" }.compactMap { $0.data["consecutiveFailures"] }.sorted() == ["1", "2", "3"])
        let suspended = auth.first { $0.template == "security.account-suspended" }
        #expect(suspended?.data["consecutiveFailures"] == "3")
        #expect(suspended?.data["subscriptionId"] == "sub-\(user)")
        let users = try services.notifications(user, from: "user-service")
        #expect(users.map(\.template).sorted() == ["billing.payment-failed", "billing.payment-failed", "billing.payment-failed",
                                                     "billing.service-restricted"])
        #expect(users.first { $0.template == "billing.service-restricted" }?.data["consecutiveFailures"] == "3")
        checkConventions(auth + users, user: user)

        // User management's own follow-up: user.settings.changed on user-events, one per failure.
        let settings = try services.events("user-events", user: user).filter { $0.type == "user.settings.changed" }
        checkConventions(settings, user: user)
        #expect(settings.count == 3)
        #expect(settings.allSatisfy { $0.source == "user-service" && $0.payload["reason"] as? String == "payment.subscription-renewal-failed" })
        let last = settings.last?.payload["settings"] as? [String: String]
        #expect(last?["paymentFailed"] == "true")
        #expect(last?["serviceRestricted"] == "true")
        #expect(last?["consecutivePaymentFailures"] == "3")

        // State reached.
        let account = try #require(try services.document("auth", "account/\(user)"))
        #expect(account["status"] as? String == "suspended")
        #expect(account["consecutivePaymentFailures"] as? Int == 3)
        #expect(account["totalPaymentFailures"] as? Int == 3)
        #expect(account["suspendedAt"] is String)
        let billing = try #require(try services.document("user", "billing/\(user)"))
        #expect(billing["paymentFailed"] as? Bool == true)
        #expect(billing["serviceRestricted"] as? Bool == true)
        #expect(billing["consecutiveFailures"] as? Int == 3)
        #expect(billing["totalFailures"] as? Int == 3)
        #expect(try services.counter("dead_lettered") == 0)
    }

    /// Catalog scenario 2, subscription change: payment → auth and user management → permission update.
    /// The change is dual-published (payment-events and subscription-events, one event id) after the
    /// account was suspended: plan, role and permissions follow the new plan and access is restored.
    @Test func subscriptionChangeUpdatesPermissionsInAuthAndUserManagement() throws {
        let services = try ServiceDaemon("scn-subchange")
        let user = "sc-\(run)"
        try services.publishRenewalFailures(user, ids: "\(run)-sc-failed", plan: "basic", amount: 9900, reason: "insufficient funds")
        try services.wait("the suspension") {
            try services.templates(user, from: "auth-service").contains("security.account-suspended")
                && services.templates(user, from: "user-service").contains("billing.service-restricted")
        }
        let changeID = "\(run)-sc-changed"
        try services.publish("payment.subscription-changed", id: changeID, user: user, at: at(10),
                             on: ["payment-events", "subscription-events"], names: ["subscription-events": "subscription.changed"],
                             ["userId": user, "subscriptionId": "sub-\(user)", "fromPlan": "basic", "toPlan": "pro"])
        try services.wait("the plan change in auth and user management") {
            try services.templates(user, from: "auth-service").contains("security.access-restored")
                && services.events("user-events", user: user).contains { $0.type == "user.profile.updated" }
        }
        try services.quiesce()

        // Auth: role and permissions of pro, suspension lifted, failure streak reset.
        let account = try #require(try services.document("auth", "account/\(user)"))
        #expect(account["plan"] as? String == "pro")
        #expect(account["role"] as? String == "pro-member")
        #expect(Set(account["permissions"] as? [String] ?? []) == ["missions.basic", "missions.advanced", "evaluations.view",
                                                                   "evaluations.retry", "reports.download"])
        #expect(account["status"] as? String == "active")
        #expect(account["consecutivePaymentFailures"] as? Int == 0)
        #expect(account["accessRestoredAt"] is String)
        #expect(count(try services.templates(user, from: "auth-service"), "security.access-restored") == 1)

        // User management: plan cache, one set of mails and follow-ups although the change arrived twice.
        let subscription = try #require(try services.document("user", "subscription/\(user)"))
        #expect(subscription["plan"] as? String == "pro")
        #expect(subscription["previousPlan"] as? String == "basic")
        let mails = try services.templates(user, from: "user-service")
        #expect(count(mails, "subscription.upgraded") == 1, "\(mails)")
        #expect(count(mails, "onboarding.plan-guide") == 1, "\(mails)")
        let upgraded = try services.notifications(user, from: "user-service").first { $0.template == "subscription.upgraded" }
        #expect(upgraded?.data["fromPlan"] == "basic" && upgraded?.data["toPlan"] == "pro")
        let userEvents = try services.events("user-events", user: user)
        checkConventions(userEvents + (try services.notifications(user)), user: user)
        let profile = userEvents.filter { $0.type == "user.profile.updated" }
        #expect(profile.count == 1)
        #expect(profile.first?.payload["plan"] as? String == "pro")
        #expect(profile.first?.payload["changes"] as? [String] == ["plan"])
        // The payment flags are cleared by a user.settings.changed after the change.
        let cleared = userEvents.filter { $0.type == "user.settings.changed" && $0.payload["reason"] as? String != "payment.subscription-renewal-failed" }
        #expect(cleared.count == 1)
        let clearedSettings = cleared.first?.payload["settings"] as? [String: String]
        #expect(clearedSettings?["paymentFailed"] == "false")
        #expect(clearedSettings?["serviceRestricted"] == "false")
        #expect(clearedSettings?["consecutivePaymentFailures"] == "0")
        #expect(try services.counter("duplicates", group: "user-service-payment-group") == 1,
                "the subscription-events copy is skipped by the idempotency ledger")
        #expect(try services.counter("dead_lettered") == 0)
    }

    /// Catalog scenario 3, mission completion: mission → AI evaluation → evaluation start.
    @Test func missionCompletionStartsTheAIEvaluation() throws {
        let services = try ServiceDaemon("scn-mission")
        let user = "mc-\(run)", mission = "basics-1"
        try services.storeResult("\(user)/\(mission).json", tests: [("a", true), ("b", true), ("c", true), ("d", false), ("e", true)],
                                 lintWarnings: 2, durationSeconds: 600)
        // The mission service publishes on the catalog's single-event topic.
        let completion: [String: Any] = ["userId": user, "missionId": mission, "resultKey": "\(user)/\(mission).json", "durationSeconds": 600]
        try services.publish("mission.completed", id: "\(run)-mc-completed", user: user, at: at(0), on: ["mission.completed"], completion)
        try services.wait("evaluation.started and evaluation.completed") {
            try !services.events("evaluation-events", user: user).isEmpty && !services.events("evaluation.completed", user: user).isEmpty
        }
        // The same completion published on mission-events too (the catalog's dual publish, same event id)
        // does not start a second evaluation.
        try services.publish("mission.completed", id: "\(run)-mc-completed", user: user, at: at(0), on: ["mission-events"], completion)
        try services.wait("the mission-events copy to be skipped as a duplicate") {
            try services.counter("duplicates", group: "ai-evaluation-group") == 1
        }
        try services.wait("auth to record the evaluation start") {
            (try services.document("auth", "evaluation/\(user)"))?["startedCount"] as? Int == 1
        }
        try services.quiesce()

        let evaluationEvents = try services.events("evaluation-events", user: user)
        #expect(evaluationEvents.map(\.type) == ["evaluation.started"])
        let started = try #require(evaluationEvents.first)
        #expect(started.source == "ai-evaluation-service")
        #expect(started.payload["missionId"] as? String == mission)
        let evaluation = try #require(started.payload["evaluationId"] as? String)
        #expect(evaluation.hasPrefix("eval-\(mission)-"), "one evaluation per completion: \(evaluation)")
        let completed = try services.events("evaluation.completed", user: user)
        #expect(completed.count == 1)
        #expect(completed.first?.type == "evaluation.completed")
        #expect(completed.first?.payload["score"] as? Int == 76)
        #expect(completed.first?.payload["passed"] as? Bool == true)
        #expect(completed.first?.payload["feedback"] as? String == "4/5 tests passed. Failed: d. 2 lint warnings (-4). Score 76/100 (pass mark 70). Passed.")
        let result = try services.notifications(user, from: "ai-evaluation-service")
        #expect(result.map(\.template) == ["evaluation.completed"])
        #expect(result.first?.data["score"] == "76" && result.first?.data["passed"] == "true")
        checkConventions(evaluationEvents + completed + result, user: user)

        // AI evaluation's state: the evaluation record and the user's statistics.
        let record = try #require(try services.document("ai-evaluation", "evaluation/\(evaluation)"))
        #expect(record["status"] as? String == "completed")
        #expect(record["attempts"] as? Int == 1)
        #expect(record["score"] as? Int == 76)
        #expect(record["userId"] as? String == user)
        let stats = try #require(try services.document("ai-evaluation", "stats/\(user)"))
        #expect(stats["started"] as? Int == 1)
        #expect(stats["completed"] as? Int == 1)
        #expect(stats["passed"] as? Int == 1)
        // Auth handled the evaluation start (its consumer of evaluation.started).
        let authStats = try #require(try services.document("auth", "evaluation/\(user)"))
        #expect(authStats["startedCount"] as? Int == 1)
        #expect(authStats["lastActivityAt"] is String)
        #expect(try services.counter("dead_lettered") == 0)
    }

    /// Catalog scenario 4, evaluation events: AI evaluation → auth → statistics.
    /// A missing result object fails every attempt (started, failed ×3, retry requested/completed ×2),
    /// auth counts it all and raises the technical-support and manual-review flags; an operator's
    /// manual retry after re-uploading the object succeeds and updates the performance figures.
    @Test func evaluationEventsReachAuthStatistics() throws {
        let services = try ServiceDaemon("scn-evaluation")
        let user = "ev-\(run)", mission = "basics-2"
        try services.publish("mission.completed", id: "\(run)-ev-completed", user: user, at: at(0), on: ["mission.completed"],
                             ["userId": user, "missionId": mission, "resultKey": "\(user)/\(mission).json", "durationSeconds": 300])
        try services.wait("the final evaluation failure and auth's alerts") {
            try services.templates(user, from: "ai-evaluation-service") == ["evaluation.failed"]
                && services.templates(user, from: "auth-service").contains("admin.technical-support-needed")
        }
        try services.quiesce()

        var events = try services.events("evaluation-events", user: user)
        checkConventions(events, user: user)
        let evaluation = try #require(events.first { $0.type == "evaluation.started" }?.payload["evaluationId"] as? String)
        #expect(evaluation.hasPrefix("eval-\(mission)-"))
        let types = events.map(\.type)
        #expect(count(types, "evaluation.started") == 1 && count(types, "evaluation.failed") == 3
                    && count(types, "evaluation.retry.requested") == 2 && count(types, "evaluation.retry.completed") == 2, "\(types)")
        let failed = events.filter { $0.type == "evaluation.failed" }
        #expect(failed.compactMap { $0.payload["attempt"] as? Int } == [1, 2, 3])
        #expect(failed.compactMap { $0.payload["retryable"] as? Bool } == [true, true, false])
        #expect(failed.allSatisfy { $0.payload["evaluationId"] as? String == evaluation && ($0.payload["reason"] as? String ?? "").contains("not found") },
                "\(failed.map(\.payload))")
        #expect(events.filter { $0.type == "evaluation.retry.completed" }.allSatisfy { $0.payload["succeeded"] as? Bool == false })
        #expect(try services.events("evaluation.completed", user: user).isEmpty)

        var record = try #require(try services.document("ai-evaluation", "evaluation/\(evaluation)"))
        #expect(record["status"] as? String == "failed")
        #expect(record["attempts"] as? Int == 3)
        var aiStats = try #require(try services.document("ai-evaluation", "stats/\(user)"))
        #expect(aiStats["started"] as? Int == 1)
        #expect(aiStats["failedAttempts"] as? Int == 3)
        #expect(aiStats["finalFailures"] as? Int == 1)
        #expect(aiStats["retriesRequested"] as? Int == 2)
        #expect(aiStats["retriesAttempted"] as? Int == 2)

        var authStats = try #require(try services.document("auth", "evaluation/\(user)"))
        #expect(authStats["startedCount"] as? Int == 1)
        #expect(authStats["failureCount"] as? Int == 3)
        #expect(authStats["retryRequestedCount"] as? Int == 2)
        #expect(authStats["retryCompletedCount"] as? Int == 2)
        #expect(authStats["retryFailedCount"] as? Int == 2)
        #expect(authStats["technicalSupport"] as? Bool == true)
        #expect(authStats["manualReview"] as? [String] == [evaluation])
        let alerts = try services.notifications(user, from: "auth-service")
        #expect(alerts.map(\.template).sorted() == ["admin.manual-review-required", "admin.technical-support-needed"])
        #expect(alerts.allSatisfy { $0.data["recipient"] == "security-admins" })
        #expect(alerts.first { $0.template == "admin.technical-support-needed" }?.data["failureCount"] == "3")

        // The operator re-uploads the object and requests a manual retry (attempt 4).
        try services.storeResult("\(user)/\(mission).json", tests: [("a", true), ("b", true), ("c", true), ("d", true)],
                                 lintWarnings: 1, durationSeconds: 300)
        try services.publish("evaluation.retry.requested", id: "\(run)-ev-manual-retry", user: user, at: at(30), on: ["evaluation-events"],
                             ["userId": user, "missionId": mission, "evaluationId": evaluation, "attempt": 4, "reason": "manual retry after re-upload"])
        try services.wait("the manual retry's evaluation.completed and auth's performance figures") {
            try !services.events("evaluation.completed", user: user).isEmpty
                && ((try services.document("auth", "evaluation/\(user)"))?["retrySucceededCount"] as? Int) == 1
        }
        try services.quiesce()

        events = try services.events("evaluation-events", user: user)
        let retried = events.filter { $0.type == "evaluation.retry.completed" }.last
        #expect(retried?.payload["attempt"] as? Int == 4)
        #expect(retried?.payload["succeeded"] as? Bool == true)
        #expect(retried?.payload["score"] as? Int == 98)
        let completed = try services.events("evaluation.completed", user: user)
        #expect(completed.count == 1 && completed.first?.payload["score"] as? Int == 98 && completed.first?.payload["passed"] as? Bool == true)
        record = try #require(try services.document("ai-evaluation", "evaluation/\(evaluation)"))
        #expect(record["status"] as? String == "completed")
        #expect(record["attempts"] as? Int == 4)
        aiStats = try #require(try services.document("ai-evaluation", "stats/\(user)"))
        #expect(aiStats["completed"] as? Int == 1)
        #expect(aiStats["retriesSucceeded"] as? Int == 1)
        #expect(aiStats["lastScore"] as? Int == 98)
        authStats = try #require(try services.document("auth", "evaluation/\(user)"))
        #expect(authStats["retryRequestedCount"] as? Int == 3)
        #expect(authStats["retryCompletedCount"] as? Int == 3)
        #expect(authStats["retrySucceededCount"] as? Int == 1)
        #expect(authStats["manualReview"] as? [String] == [], "a successful retry settles the manual review")
        let performance = authStats["performance"] as? [String: Any]
        #expect(performance?["lastScore"] as? Int == 98)
        #expect(performance?["bestScore"] as? Int == 98)
        #expect(try services.templates(user, from: "ai-evaluation-service") == ["evaluation.completed", "evaluation.failed"])
        #expect(try services.counter("dead_lettered") == 0)
    }

    /// The whole user journey: registered → mission started, ticket deducted → completed → evaluated →
    /// result recorded, next mission recommended.
    @Test func aUserJourneyFromRegistrationToTheNextMission() throws {
        let services = try ServiceDaemon("scn-journey")
        let user = "j-\(run)", mission = "intro-1"

        // 1. Registered: produced on auth-events, read by mission and payment from user-events (same event id).
        try services.publish("user.registered", id: "\(run)-j-registered", user: user, at: at(0), on: ["auth-events", "user-events"],
                             ["userId": user, "email": "\(user)@example.com", "displayName": "Journey User", "plan": "basic"])
        try services.wait("the welcome mails of user management, mission and payment") {
            let templates = try services.notifications(user).map(\.template)
            return templates.contains("onboarding.welcome") && templates.contains("mission.guide-assigned") && templates.contains("payment.welcome")
        }
        let profile = try #require(try services.document("user", "profile/\(user)"))
        #expect(profile["email"] as? String == "\(user)@example.com")
        #expect(try services.document("user", "settings/\(user)") != nil)
        var progress = try #require(try services.document("mission", "progress/\(user)"))
        #expect(progress["access"] as? [String] == ["intro-1", "intro-2"])
        #expect(progress["guideMission"] as? String == "intro-1")
        #expect(progress["directory"] as? String == "users/\(user)/")
        var wallet = try #require(try services.document("payment", "wallet/\(user)"))
        #expect(wallet["balance"] as? Int == 5)
        #expect(wallet["registered"] as? Bool == true)

        // 2. Environment ready, mission started: 3 tickets deducted, the balance (2) is under the threshold (3).
        try services.publish("resource.created", id: "\(run)-j-resource", user: user, at: at(1), on: ["resource-events"],
                             ["userId": user, "missionId": mission, "resourceId": "r-\(user)"])
        try services.publish("mission.started", id: "\(run)-j-started", user: user, at: at(2), on: ["mission-events"],
                             ["userId": user, "missionId": mission, "ticketCost": 3])
        try services.wait("the low-balance warning to reach auth and user management") {
            let templates = try services.notifications(user).map(\.template)
            return templates.contains("marketing.ticket-balance-low") && templates.contains("billing.ticket-balance-low")
                && templates.contains("mission.environment-ready")
        }
        let low = try services.events("payment-events", user: user).filter { $0.type == "payment.ticket-balance-low" }
        #expect(low.count == 1)
        #expect(low.first?.source == "payment-service")
        #expect(low.first?.payload["balance"] as? Int == 2 && low.first?.payload["threshold"] as? Int == 3 && low.first?.payload["plan"] as? String == "basic")
        wallet = try #require(try services.document("payment", "wallet/\(user)"))
        #expect(wallet["balance"] as? Int == 2)
        #expect(((wallet["missions"] as? [String: Any])?[mission] as? [String: Any])?["status"] as? String == "charged")
        // At the default log_level (info) a plugin's info lines are kept and its per-event debug line is not.
        let daemonLog = services.daemon.child.log
        #expect(daemonLog.contains("wallet opened") && !daemonLog.contains("tickets deducted"))
        try services.wait("auth's session flag") {
            ((try services.document("auth", "account/\(user)"))?["sessionFlags"] as? [String: Any])?["ticketBalanceLow"] as? Bool == true
        }
        let missionRecord = try #require(try services.document("mission", "mission/\(user)/\(mission)"))
        #expect(missionRecord["status"] as? String == "startable")

        // 3. Completed: the result object is stored, the completion published on both catalog topics (one event id):
        // AI evaluation reads it from mission.completed (the producer's topic), payment only from mission-events.
        try services.storeResult("\(user)/\(mission).json", tests: [("login works", true), ("logout works", true), ("profile", true)],
                                 lintWarnings: 1, durationSeconds: 900)
        try services.publish("mission.completed", id: "\(run)-j-completed", user: user, at: at(20), on: ["mission.completed", "mission-events"],
                             ["userId": user, "missionId": mission, "resultKey": "\(user)/\(mission).json", "durationSeconds": 900])

        // 4. Evaluated, 5. result recorded and the next mission recommended.
        try services.wait("the mission service's result mail") {
            try services.templates(user, from: "mission-service").contains("mission.result")
        }
        try services.quiesce()

        let started = try services.events("evaluation-events", user: user).filter { $0.type == "evaluation.started" }
        #expect(started.count == 1, "one evaluation although the completion arrived on two topics")
        let evaluated = try services.events("evaluation.completed", user: user)
        #expect(evaluated.count == 1)
        #expect(evaluated.first?.payload["score"] as? Int == 98 && evaluated.first?.payload["passed"] as? Bool == true)
        let evaluationId = try #require(evaluated.first?.payload["evaluationId"] as? String)
        #expect(evaluationId.hasPrefix("eval-\(mission)-"))

        let recorded = try #require(try services.document("mission", "mission/\(user)/\(mission)"))
        #expect(recorded["status"] as? String == "passed")
        #expect(recorded["bestScore"] as? Int == 98)
        let evaluations = recorded["evaluations"] as? [[String: Any]] ?? []
        #expect(evaluations.count == 1 && evaluations.first?["score"] as? Int == 98 && evaluations.first?["evaluationId"] as? String == evaluationId)
        progress = try #require(try services.document("mission", "progress/\(user)"))
        #expect(progress["passed"] as? [String] == [mission])
        #expect(progress["level"] as? Int == 1)
        let recommendation = progress["recommendation"] as? [String: Any]
        #expect(recommendation?["missionId"] as? String == "intro-2")
        #expect(recommendation?["reason"] as? String == "next")
        #expect(recommendation?["after"] as? String == mission)
        #expect((progress["access"] as? [String])?.contains("intro-2") == true)
        let resultMail = try services.notifications(user, from: "mission-service").first { $0.template == "mission.result" }
        #expect(resultMail?.data["recommendedMission"] == "intro-2")
        #expect(resultMail?.data["recommendation"] == "next")
        #expect(resultMail?.data["score"] == "98")
        #expect(resultMail?.data["level"] == "1")

        // User management: usage statistics (the completion counted once) and the first-pass achievement.
        let activity = try #require(try services.document("user", "activity/\(user)"))
        #expect(activity["missionsCompleted"] as? Int == 1)
        #expect(activity["totalDurationSeconds"] as? Int == 900)
        let achievements = try #require(try services.document("user", "achievements/\(user)"))
        #expect(achievements["passes"] as? Int == 1)
        #expect((achievements["unlocked"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["first-pass"])
        let userMails = try services.templates(user, from: "user-service")
        #expect(count(userMails, "achievement.unlocked") == 1 && count(userMails, "activity.mission-milestone") == 1, "\(userMails)")
        let profileUpdates = try services.events("user-events", user: user).filter { $0.type == "user.profile.updated" }
        #expect(profileUpdates.count == 1)
        #expect((profileUpdates.first?.payload["changes"] as? [String])?.contains("achievements.first-pass") == true)

        // Payment: the charge settled once; auth and AI evaluation statistics.
        wallet = try #require(try services.document("payment", "wallet/\(user)"))
        let usage = wallet["usage"] as? [String: Any]
        #expect(((wallet["missions"] as? [String: Any])?[mission] as? [String: Any])?["status"] as? String == "settled")
        #expect(usage?["missionsStarted"] as? Int == 1 && usage?["missionsCompleted"] as? Int == 1)
        #expect(try services.document("auth", "evaluation/\(user)")?["startedCount"] as? Int == 1)
        #expect(try services.document("ai-evaluation", "stats/\(user)")?["passed"] as? Int == 1)

        // Payment's ⚠️ evaluation.completed handler reads the event from the catalog's topics, including
        // the evaluation.completed topic AI evaluation publishes on: the pass reward (pass_reward_tickets = 1)
        // reaches the wallet: balance 2 + 1 = 3.
        #expect(usage?["evaluationsPassed"] as? Int == 1)
        #expect(wallet["balance"] as? Int == 3)

        let all = try services.notifications(user) + services.events("user-events", user: user).filter { $0.source != "e2e-user-service" }
            + services.events("evaluation-events", user: user) + evaluated + low
        checkConventions(all, user: user)
        #expect(try services.counter("dead_lettered") == 0)
    }

    // MARK: - A ⚠️ handler shipped by plugin reload

    /// The catalog's payment service (0.9.0: only mission.started) runs; the full build (1.0.0) with
    /// the ⚠️ handlers replaces the file and is reloaded: its new groups read the earlier
    /// user.registered and user.login from the beginning and act on them — same daemon, no restart.
    @Test func aWarningHandlerShippedByPluginReloadHandlesItsEvents() throws {
        let baseline = "\(Harness.fixtureStage)/libpayment-0.9.0.so.variant"
        guard FileManager.default.fileExists(atPath: baseline) else { throw HarnessError("\(baseline) missing: run `make fixtures`") }
        let services = try ServiceDaemon("scn-reload", plugins: []) { dir in
            try FileManager.default.copyItem(atPath: baseline, toPath: "\(dir)/libpayment.so")
        }
        let pid = services.daemon.child.pid
        func payment() throws -> [String: Any] { try #require(try services.pluginList().first { $0["name"] as? String == "payment" }) }
        func claims() throws -> Set<String> {
            Set((try payment()["claims"] as? [[String: String]] ?? []).map { "\($0["event"] ?? "")@\($0["group"] ?? "")" })
        }
        #expect(try payment()["version"] as? String == "0.9.0")
        #expect(try claims() == ["mission.started@payment-service-mission-group"])
        #expect(try services.groupNames() == ["payment-service-mission-group"])

        let user = "rl-\(run)"
        try services.publish("user.registered", id: "\(run)-rl-registered", user: user, at: at(0), on: ["user-events"],
                             ["userId": user, "email": "\(user)@example.com", "displayName": "Reload User", "plan": "pro"])
        try services.publish("user.login", id: "\(run)-rl-login", user: user, at: at(1), on: ["auth-events"],
                             ["userId": user, "sessionId": "s-\(user)", "ip": "192.0.2.7"])
        try services.publish("mission.started", id: "\(run)-rl-started", user: user, at: at(2), on: ["mission-events"],
                             ["userId": user, "missionId": "intro-1", "ticketCost": 1])
        // 0.9.0 handles mission.started (the wallet opens on basic with the welcome tickets) and nothing else.
        try services.wait("0.9.0 to handle mission.started") { try services.document("payment", "wallet/\(user)") != nil }
        try services.quiesce()
        var wallet = try #require(try services.document("payment", "wallet/\(user)"))
        #expect(wallet["balance"] as? Int == 4)
        #expect(wallet["plan"] as? String == "basic")
        #expect(wallet["registered"] as? Bool != true)
        #expect(wallet["lastLoginDate"] == nil)
        #expect(try services.notifications(user).isEmpty, "0.9.0 has no user.registered / user.login handler")

        // Ship the ⚠️ handlers: replace the file as a package upgrade does, then reload that one plugin.
        let target = "\(services.pluginDir)/libpayment.so"
        try? FileManager.default.removeItem(atPath: target + ".new")
        try FileManager.default.copyItem(atPath: "\(Harness.pluginStage)/libpayment.so", toPath: target + ".new")
        guard rename(target + ".new", target) == 0 else { throw HarnessError("rename failed: \(errno)") }
        let reload = try Eventctl.run(["plugin-reload", "payment", "--json"], socket: services.socket)
        #expect(reload.status == 0, "\(reload.stderr)")
        let answer = try reload.json()["result"] as? [String: Any]
        #expect(answer?["new_version"] as? String == "1.0.0", "\(reload.stdout)")

        try services.wait("the new handlers to act on the earlier user.registered and user.login") {
            let templates = try services.notifications(user, from: "payment-service").map(\.template)
            return templates.contains("payment.welcome") && templates.contains("payment.daily-bonus")
        }
        try services.quiesce()
        #expect(services.daemon.child.isRunning && services.daemon.child.pid == pid, "same daemon, no restart")
        #expect(try payment()["version"] as? String == "1.0.0")
        #expect(try claims().isSuperset(of: ["user.registered@payment-service-user-group", "user.login@payment-service-auth-group",
                                             "mission.started@payment-service-mission-group", "mission.completed@payment-service-mission-group",
                                             "evaluation.completed@payment-service-evaluation-group"]))
        #expect(try services.groupNames() == ["payment-service-auth-group", "payment-service-evaluation-group",
                                              "payment-service-mission-group", "payment-service-user-group"])
        wallet = try #require(try services.document("payment", "wallet/\(user)"))
        #expect(wallet["registered"] as? Bool == true)
        #expect(wallet["plan"] as? String == "pro", "user.registered sets the registered plan")
        #expect(wallet["lastLoginDate"] as? String == "2026-11-24")
        #expect(wallet["balance"] as? Int == 5, "4 + the daily login bonus; the registration grants nothing again")
        #expect((wallet["usage"] as? [String: Any])?["loginBonusDays"] as? Int == 1)
        #expect((wallet["usage"] as? [String: Any])?["missionsStarted"] as? Int == 1, "mission.started is not handled again")
        let mails = try services.notifications(user, from: "payment-service")
        #expect(mails.map(\.template).sorted() == ["payment.daily-bonus", "payment.welcome"])
        #expect(mails.first { $0.template == "payment.daily-bonus" }?.data["balance"] == "5")
        checkConventions(mails, user: user)
        #expect(services.daemon.child.log.contains("plugin reloaded"))
        #expect(try services.counter("dead_lettered") == 0)
    }
}
