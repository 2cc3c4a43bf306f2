import EventdPluginTesting
import Foundation
@testable import Payment
import Testing

@Suite struct UserRegisteredTests {
    @Test func opensAWalletOnThePlanWithWelcomeTicketsAndSendsTheWelcome() throws {
        let host = try loadedHost()
        #expect(try host.wallet() == nil)
        let source = registered(plan: "pro")
        #expect(host.handle(source) == .ok)
        let wallet = try #require(try host.wallet())
        #expect(wallet.userId == userId && wallet.plan == "pro" && wallet.registered)
        #expect(wallet.balance == 5 && wallet.owed == 0)
        #expect(wallet.openedBy == "user.registered" && wallet.openedAt == "2024-05-01T10:00:00.000Z")
        #expect(wallet.usage == Usage(ticketsGranted: 5))
        #expect(wallet.recentEvents == ["e-reg"])
        let out = try produced(host)
        #expect(out.count == 1)
        expected.notification(out[0], of: source, index: 0, template: "payment.welcome",
                           data: ["displayName": "Kim", "plan": "pro", "welcomeTickets": "5", "balance": "5", "owed": "0"])
    }

    @Test func welcomeTicketsAndTopicComeFromSettings() throws {
        let host = try loadedHost(#"{"welcome_tickets":12,"notification_topic":"mail-events"}"#)
        #expect(host.handle(registered(plan: "basic")) == .ok)
        #expect(try host.wallet()?.balance == 12)
        let out = try produced(host)
        #expect(out.map(\.topic) == ["mail-events"])
        #expect(out[0].data["welcomeTickets"] == "12")
    }

    @Test func aWalletOpenedEarlierKeepsItsTicketsAndTakesTheRegisteredPlan() throws {
        let host = try loadedHost()
        #expect(host.handle(started("e-1", cost: 1)) == .ok)          // opened by mission.started: 5 - 1
        #expect(try host.wallet()?.registered == false)
        #expect(try host.wallet()?.plan == "basic")
        host.produced.removeAll()
        let source = registered(plan: "premium")
        #expect(host.handle(source) == .ok)
        let wallet = try #require(try host.wallet())
        #expect(wallet.balance == 4 && wallet.plan == "premium" && wallet.registered)
        #expect(wallet.openedBy == "mission.started")
        #expect(wallet.usage.ticketsGranted == 5)
        let out = try produced(host)
        expected.notification(out[0], of: source, index: 0, template: "payment.welcome",
                           data: ["displayName": "Kim", "plan": "premium", "welcomeTickets": "5", "balance": "4", "owed": "0"])
    }

    @Test func aSecondRegistrationChangesNothing() throws {
        let host = try loadedHost()
        #expect(host.handle(registered("e-reg", plan: "pro")) == .ok)
        host.produced.removeAll()
        #expect(host.handle(registered("e-reg-2", plan: "basic")) == .ok)
        let wallet = try #require(try host.wallet())
        #expect(wallet.plan == "pro" && wallet.balance == 5)
        #expect(wallet.recentEvents == ["e-reg", "e-reg-2"])
        #expect(host.produced.isEmpty)
        #expect(host.logs.contains { $0.message == "user registered again; wallet unchanged" })
    }

    @Test func aRedeliveredRegistrationHasNoEffect() throws {
        try loadedHost().expectRedeliveryHasNoEffect(registered(), produced: 1)
    }

    @Test func aBadTimestampIsRejected() throws {
        try loadedHost().expectRejected(registered(at: "01/05/2024"),
                                        "user.registered: field 'occurredAt' must be an RFC 3339 timestamp, got '01/05/2024'")
    }

    @Test(arguments: [
        (["userId": "u-1", "displayName": "Kim", "plan": "pro"], "user.registered: missing field 'payload.email'"),
        (["userId": "u-1", "email": "kim@example.com", "displayName": 7, "plan": "pro"], "user.registered: field 'payload.displayName' must be a string"),
        (["userId": "u-1", "email": "kim@example.com", "displayName": "Kim", "plan": "gold"],
         "user.registered: field 'payload.plan' must be one of basic, pro, premium, got 'gold'"),
        (["userId": "u-1", "email": "", "displayName": "Kim", "plan": "pro"], "user.registered: field 'payload.email' must not be empty"),
        (["userId": NSNull(), "email": "kim@example.com", "displayName": "Kim", "plan": "pro"],
         "user.registered: field 'payload.userId' must be a string, not null"),
    ] as [(Payload, String)])
    func malformedPayloadsAreRejected(payload: Payload, message: String) throws {
        try loadedHost().expectRejected(event("user.registered", id: "e-bad", payload: payload.fields), message)
    }
}
