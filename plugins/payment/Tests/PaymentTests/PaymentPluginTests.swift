import EventdPluginTesting
import Foundation
@testable import Payment
import Testing

@Suite struct PaymentPluginTests {
    @Test func registersTransactionalWithTheCatalogGroups() throws {
        let host = try loadedHost()
        host.expectDescriptor(name: "payment", version: "1.0.0")
        #expect(host.claims() == [
            "user.registered@payment-service-user-group",
            "user.login@payment-service-auth-group",
            "mission.started@payment-service-mission-group",
            "mission.completed@payment-service-mission-group",
            "evaluation.completed@payment-service-evaluation-group",
        ])
    }

    @Test func settingsDefaults() throws {
        #expect(try PaymentSettings(PluginSettings()) == PaymentSettings())
        let s = PaymentSettings()
        #expect(s.paymentTopic == "payment-events")
        #expect(s.notificationTopic == "notification-events")
        #expect(s.lowBalanceThreshold == 3)
        #expect(s.welcomeTickets == 5)
        #expect(s.dailyLoginBonus == 1)
        #expect(s.completionBonusTickets == 0)
        #expect(s.passRewardTickets == 1)
        #expect(s.perfectScoreBonusTickets == 1)
    }

    @Test func settingsAreRead() throws {
        let s = try PaymentSettings(PluginSettings(json: """
            {"payment_topic":"pay","notification_topic":"mail","low_balance_threshold":2,"welcome_tickets":10,
             "daily_login_bonus":0,"completion_bonus_tickets":4,"pass_reward_tickets":3,"perfect_score_bonus_tickets":0}
            """))
        #expect(s.paymentTopic == "pay" && s.notificationTopic == "mail")
        #expect(s.lowBalanceThreshold == 2 && s.welcomeTickets == 10 && s.dailyLoginBonus == 0)
        #expect(s.completionBonusTickets == 4 && s.passRewardTickets == 3 && s.perfectScoreBonusTickets == 0)
    }

    @Test(arguments: [
        (#"{"low_balance_threshold":"3"}"#, "setting 'low_balance_threshold' must be an integer"),
        (#"{"welcome_tickets":-1}"#, "setting 'welcome_tickets' must not be negative, got -1"),
        (#"{"payment_topic":""}"#, "setting 'payment_topic' must not be empty"),
        (#"{"notification_topic":7}"#, "setting 'notification_topic' must be a string"),
        (#"{"daily_bonus":1}"#, "unknown setting 'daily_bonus'"),
        (#"{"daily_login_bonus":true}"#, "setting 'daily_login_bonus' must be an integer"),
        (#"{"pass_reward_tickets":1.5}"#, "setting 'pass_reward_tickets' must be an integer"),
    ])
    func badSettingsRefuseTheLoad(settings: String, message: String) {
        do {
            _ = try loadedHost(settings)
            Issue.record("load should have failed")
        } catch {
            #expect("\(error)".hasPrefix(message), "\(error)")
        }
    }

    @Test func unknownEventIsRejected() throws {
        let host = try loadedHost()
        #expect(host.handle(rawEvent("user.logout", value: "{}")) == .reject("payment does not handle event 'user.logout'"))
    }

    @Test func envelopeErrorsAreRejectedPrecisely() throws {
        let host = try loadedHost()
        #expect(host.handle(rawEvent("mission.started", value: "not json")) == .reject("mission.started: value is not valid JSON"))
        #expect(host.handle(rawEvent("mission.started", value: #"{"eventId":"e","eventType":"mission.started","occurredAt":"2024-05-01T10:00:00Z"}"#))
                == .reject("mission.started: missing field 'payload'"))
        #expect(host.handle(rawEvent("mission.started", value: #"{"eventType":"mission.started","occurredAt":"2024-05-01T10:00:00Z","payload":{}}"#))
                == .reject("mission.started: missing field 'eventId'"))
        #expect(host.handle(started("e-1", at: "2024-05-01 10:00")) ==
                .reject("mission.started: field 'occurredAt' must be an RFC 3339 timestamp, got '2024-05-01 10:00'"))
        #expect(host.handle(event("mission.started", id: "e-2", at: 1714557600, payload: [:])) ==
                .reject("mission.started: field 'occurredAt' must be a string"))
        #expect(host.handle(event("mission.started", id: "e-3", subject: "u-2",
                                  payload: ["userId": userId, "missionId": "m-1", "ticketCost": 1])) ==
                .reject("mission.started: subject 'u-2' is not payload.userId 'u-1'"))
        #expect(host.handle(event("mission.started", id: "e-4", subject: nil,
                                  payload: ["userId": "", "missionId": "m-1", "ticketCost": 1])) ==
                .reject("mission.started: field 'payload.userId' must not be empty"))
        #expect(host.state.isEmpty && host.produced.isEmpty)
    }

    @Test func cloudEventsBinaryRecordsAreAccepted() throws {
        let host = try loadedHost()
        let value = #"{"userId":"u-1","missionId":"m-1","ticketCost":1}"#
        let ce = Event(topic: "mission-events", key: Array(userId.utf8), value: Array(value.utf8),
                       headers: [Header("ce_id", "ce-1"), Header("ce_type", "mission.started"),
                                 Header("ce_time", t0), Header("ce_source", "mission-service"),
                                 Header("ce_subject", userId)],
                       name: "mission.started", id: "ce-1", consumerGroup: "payment-service-mission-group")
        #expect(host.handle(ce) == .ok)
        #expect(try host.wallet()?.balance == 4)
        #expect(try host.wallet()?.recentEvents == ["ce-1"])
    }

    @Test func aCorruptWalletIsRejectedNotOverwritten() throws {
        let host = try loadedHost()
        host.state[Array("wallet/u-1".utf8)] = Array("{\"balance\":".utf8)
        guard case .reject(let reason) = host.handle(started("e-1")) else { Issue.record("expected a reject"); return }
        #expect(reason.hasPrefix("state 'wallet/u-1' is not a valid Wallet document"))
        #expect(host.stateString("wallet/u-1") == "{\"balance\":")
    }

    @Test func aFailedProduceIsRetriedAndRedeliveryCompletesIt() throws {
        let host = try loadedHost()
        host.failProduce = -3
        #expect(host.handle(started("e-1", cost: 4)) == .retry("producing payment.ticket-balance-low on payment-events failed: host produce failed (code -3)"))
        #expect(host.state.isEmpty)
        host.failProduce = nil
        #expect(host.handle(started("e-1", cost: 4)) == .ok)
        #expect(try host.wallet()?.balance == 1)
        #expect(host.produced.count == 1)
    }

    @Test func theWalletDocumentHasTheDocumentedLayout() throws {
        let host = try loadedHost()
        #expect(host.handle(registered()) == .ok)
        #expect(host.handle(started("e-1")) == .ok)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(host.stateString("wallet/u-1")!.utf8)) as? [String: Any])
        #expect(Set(json.keys) == ["userId", "plan", "balance", "owed", "registered", "openedBy", "openedAt",
                                   "usage", "missions", "recentEvents"])
        let usage = try #require(json["usage"] as? [String: Int])
        #expect(Set(usage.keys) == ["missionsStarted", "missionsCompleted", "missionSeconds", "ticketsUsed",
                                    "ticketsCharged", "ticketsOwed", "ticketsGranted", "ticketsRepaid",
                                    "loginBonusDays", "evaluationsPassed", "evaluationsFailed", "perfectScores"])
        #expect(Array(host.state.keys).map { String(decoding: $0, as: UTF8.self) } == ["wallet/u-1"])
    }

    @Test func theIdempotencyWindowKeepsTheLatestEvents() throws {
        let host = try loadedHost(#"{"welcome_tickets":0,"low_balance_threshold":0}"#)
        for i in 0..<70 { #expect(host.handle(started("e-\(i)", cost: 0)) == .ok) }
        let wallet = try #require(try host.wallet())
        #expect(wallet.recentEvents.count == Wallet.recentEventLimit)
        #expect(wallet.recentEvents.first == "e-6" && wallet.recentEvents.last == "e-69")
        #expect(wallet.usage.missionsStarted == 70)
    }
}
