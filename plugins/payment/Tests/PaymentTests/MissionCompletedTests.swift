import EventdPluginTesting
import Foundation
@testable import Payment
import Testing

@Suite struct MissionCompletedTests {
    @Test func settlesTheChargeAndCountsTheCompletionWithoutNotifying() throws {
        let host = try loadedHost()
        #expect(host.handle(started("e-1", cost: 2)) == .ok)
        #expect(host.handle(completed("e-c1", duration: 900, at: "2024-05-01T10:15:00Z")) == .ok)
        let wallet = try #require(try host.wallet())
        #expect(wallet.balance == 3)                                       // no refund
        #expect(wallet.usage.missionsCompleted == 1 && wallet.usage.missionSeconds == 900)
        let account = try #require(wallet.missions["m-1"])
        #expect(account.status == "settled" && account.completions == 1 && account.settledAt == "2024-05-01T10:15:00.000Z")
        #expect(host.produced.isEmpty)
    }

    @Test func aCompletionBonusIsGrantedAndNotified() throws {
        let host = try loadedHost(#"{"completion_bonus_tickets":2}"#)
        #expect(host.handle(started("e-1", cost: 2)) == .ok)
        let source = completed("e-c1")
        #expect(host.handle(source) == .ok)
        #expect(try host.wallet()?.balance == 5)
        let out = try produced(host)
        #expect(out.count == 1)
        expected.notification(out[0], of: source, index: 0, template: "payment.completion-bonus",
                           data: ["missionId": "m-1", "tickets": "2", "balance": "5", "owed": "0"])
    }

    @Test func aSecondCompletionOfTheSameStartIsIgnored() throws {
        let host = try loadedHost(#"{"completion_bonus_tickets":1}"#)
        #expect(host.handle(started("e-1", cost: 2)) == .ok)
        #expect(host.handle(completed("e-c1")) == .ok)
        #expect(host.handle(completed("e-c2")) == .ok)
        let wallet = try #require(try host.wallet())
        #expect(wallet.usage.missionsCompleted == 1 && wallet.balance == 4 && wallet.missions["m-1"]?.completions == 1)
        #expect(host.produced.count == 1)
        #expect(wallet.recentEvents == ["e-1", "e-c1", "e-c2"])
        #expect(host.logs.contains { $0.message == "mission already settled; completion ignored" })
    }

    @Test func aCompletionWithoutAStartIsSettledUncharged() throws {
        let host = try loadedHost()
        #expect(host.handle(completed("e-c1", mission: "m-7")) == .ok)
        let wallet = try #require(try host.wallet())
        #expect(wallet.missions["m-7"]?.status == "settled" && wallet.missions["m-7"]?.starts == 0)
        #expect(wallet.balance == 5 && wallet.usage.missionsCompleted == 1)
        #expect(host.logs.contains { $0.message == "mission completed without a recorded start; nothing was charged" })
    }

    @Test func aRedeliveredCompletionHasNoEffect() throws {
        try loadedHost(#"{"completion_bonus_tickets":1}"#).expectRedeliveryHasNoEffect(completed("e-c1"), produced: 1)
    }

    @Test func aBadTimestampIsRejected() throws {
        try loadedHost().expectRejected(completed("e-c1", at: "2024-05-01T10:00:00"),
                                        "mission.completed: field 'occurredAt' must be an RFC 3339 timestamp, got '2024-05-01T10:00:00'")
    }

    @Test(arguments: [
        (["userId": "u-1", "missionId": "m-1", "durationSeconds": 1], "mission.completed: missing field 'payload.resultKey'"),
        (["userId": "u-1", "missionId": "m-1", "resultKey": "k", "durationSeconds": "1"], "mission.completed: field 'payload.durationSeconds' must be an integer"),
        (["userId": "u-1", "missionId": "m-1", "resultKey": "k", "durationSeconds": -5], "mission.completed: field 'payload.durationSeconds' must not be negative, got -5"),
        (["userId": "u-1", "missionId": "m-1", "resultKey": "k"], "mission.completed: missing field 'payload.durationSeconds'"),
    ] as [(Payload, String)])
    func malformedPayloadsAreRejected(payload: Payload, message: String) throws {
        try loadedHost().expectRejected(event("mission.completed", id: "e-bad", payload: payload.fields), message)
    }
}
