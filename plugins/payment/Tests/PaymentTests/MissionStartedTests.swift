import EventdPluginTesting
import Foundation
@testable import Payment
import Testing

@Suite struct MissionStartedTests {
    @Test func deductsTheTicketsAndCountsTheStart() throws {
        let host = try loadedHost()
        #expect(host.handle(registered(plan: "pro")) == .ok)
        host.produced.removeAll()
        #expect(host.handle(started("e-1", mission: "m-1", cost: 2, at: "2024-05-01T11:00:00Z")) == .ok)
        let wallet = try #require(try host.wallet())
        #expect(wallet.balance == 3 && wallet.owed == 0)                   // 3 is not below the threshold 3
        #expect(wallet.usage.missionsStarted == 1 && wallet.usage.ticketsUsed == 2 && wallet.usage.ticketsCharged == 2)
        #expect(wallet.missions["m-1"] == MissionAccount(status: "charged", starts: 1, ticketsUsed: 2, lastCost: 2,
                                                         lastCharged: 2, lastOwed: 0, startedAt: "2024-05-01T11:00:00.000Z"))
        #expect(host.produced.isEmpty)
        #expect(host.logs.contains { $0.message == "tickets deducted" && $0.level == Int(DTE_LOG_DEBUG.rawValue) && $0.fields["balance"] == "3" && $0.fields["mission_id"] == "m-1" })
    }

    @Test func aBalanceBelowTheThresholdPublishesTicketBalanceLow() throws {
        let host = try loadedHost()
        #expect(host.handle(registered(plan: "pro")) == .ok)
        host.produced.removeAll()
        let source = started("e-1", cost: 3)
        #expect(host.handle(source) == .ok)
        #expect(try host.wallet()?.balance == 2)
        let out = try produced(host)
        #expect(out.count == 1)
        expected.followUp(out[0], of: source, index: 0, type: "payment.ticket-balance-low", topic: "payment-events")
        #expect(out[0].payload as NSDictionary == ["userId": "u-1", "balance": 2, "threshold": 3, "plan": "pro"])
    }

    @Test func thresholdAndTopicComeFromSettings() throws {
        let host = try loadedHost(#"{"low_balance_threshold":5,"payment_topic":"pay-events"}"#)
        #expect(host.handle(started("e-1", cost: 1)) == .ok)
        let out = try produced(host)
        #expect(out.map(\.topic) == ["pay-events"])
        #expect(out[0].payload["threshold"] as? Int == 5 && out[0].payload["balance"] as? Int == 4)
        #expect(out[0].payload["plan"] as? String == "basic")
    }

    @Test func anInsufficientBalanceStopsAtZeroAndRecordsWhatIsOwed() throws {
        let host = try loadedHost(#"{"welcome_tickets":1}"#)
        let source = started("e-1", mission: "m-9", cost: 4)
        #expect(host.handle(source) == .ok)
        let wallet = try #require(try host.wallet())
        #expect(wallet.balance == 0 && wallet.owed == 3)
        #expect(wallet.usage.ticketsUsed == 4 && wallet.usage.ticketsCharged == 1 && wallet.usage.ticketsOwed == 3)
        #expect(wallet.missions["m-9"]?.lastCharged == 1 && wallet.missions["m-9"]?.lastOwed == 3)
        let out = try produced(host)
        #expect(out.count == 2)
        expected.followUp(out[0], of: source, index: 0, type: "payment.ticket-balance-low", topic: "payment-events")
        #expect(out[0].payload["balance"] as? Int == 0)
        expected.notification(out[1], of: source, index: 1, template: "payment.tickets-owed", data: [
            "missionId": "m-9", "ticketCost": "4", "charged": "1", "owed": "3", "balance": "0",
            "suggestedRecharge": "6", "plan": "basic",
        ])
    }

    @Test func ownedTicketsAccumulateAcrossMissions() throws {
        let host = try loadedHost(#"{"welcome_tickets":0}"#)
        #expect(host.handle(started("e-1", mission: "m-1", cost: 2)) == .ok)
        #expect(host.handle(started("e-2", mission: "m-2", cost: 1)) == .ok)
        let wallet = try #require(try host.wallet())
        #expect(wallet.owed == 3 && wallet.balance == 0)
        #expect(try produced(host).last?.data["owed"] == "3")
    }

    @Test func aFreeMissionStillCountsAndStillWarnsWhenLow() throws {
        let host = try loadedHost(#"{"welcome_tickets":2}"#)
        #expect(host.handle(started("e-1", cost: 0)) == .ok)
        let wallet = try #require(try host.wallet())
        #expect(wallet.balance == 2 && wallet.usage.missionsStarted == 1)
        #expect(try produced(host).map(\.eventType) == ["payment.ticket-balance-low"])
    }

    @Test func aRedeliveredStartIsNotChargedTwice() throws {
        let host = try loadedHost()
        host.expectRedeliveryHasNoEffect(started("e-1", cost: 3), produced: 1)
        #expect(host.logs.contains { $0.message == "event already applied" && $0.fields["event_id"] == "e-1" })
    }

    @Test func startingTheSameMissionAgainChargesAgain() throws {
        let host = try loadedHost(#"{"welcome_tickets":10}"#)
        #expect(host.handle(started("e-1", cost: 2)) == .ok)
        #expect(host.handle(completed("e-c1")) == .ok)
        #expect(host.handle(started("e-2", cost: 2, at: "2024-05-02T10:00:00Z")) == .ok)
        let wallet = try #require(try host.wallet())
        #expect(wallet.balance == 6)
        let account = try #require(wallet.missions["m-1"])
        #expect(account.status == "charged" && account.starts == 2 && account.ticketsUsed == 4 && account.settledAt == nil)
        #expect(account.startedAt == "2024-05-02T10:00:00.000Z")
    }

    @Test(arguments: [
        (["userId": "u-1", "missionId": "m-1"], "mission.started: missing field 'payload.ticketCost'"),
        (["userId": "u-1", "missionId": "m-1", "ticketCost": "2"], "mission.started: field 'payload.ticketCost' must be an integer"),
        (["userId": "u-1", "missionId": "m-1", "ticketCost": -1], "mission.started: field 'payload.ticketCost' must not be negative, got -1"),
        (["userId": "u-1", "missionId": "", "ticketCost": 1], "mission.started: field 'payload.missionId' must not be empty"),
        (["userId": "u-1", "missionId": 1, "ticketCost": 1], "mission.started: field 'payload.missionId' must be a string"),
        (["userId": "u-1", "ticketCost": 1], "mission.started: missing field 'payload.missionId'"),
    ] as [(Payload, String)])
    func malformedPayloadsAreRejected(payload: Payload, message: String) throws {
        try loadedHost().expectRejected(event("mission.started", id: "e-bad", payload: payload.fields), message)
    }

    @Test func aFractionalTicketCostIsRejected() throws {
        let host = try loadedHost()
        #expect(host.handle(started("e-1", cost: 2.5)) == .reject("mission.started: field 'payload.ticketCost' must be an integer"))
        #expect(host.handle(started("e-2", cost: NSNull())) == .reject("mission.started: field 'payload.ticketCost' must be an integer, not null"))
        #expect(host.state.isEmpty)
    }

    @Test func aBadTimestampIsRejected() throws {
        let host = try loadedHost()
        #expect(host.handle(started("e-1", at: "")) == .reject("mission.started: field 'occurredAt' must be an RFC 3339 timestamp, got ''"))
    }
}
