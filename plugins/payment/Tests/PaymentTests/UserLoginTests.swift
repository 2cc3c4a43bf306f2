import EventdPluginTesting
import Foundation
@testable import Payment
import Testing

@Suite struct UserLoginTests {
    @Test func theFirstLoginOfAUTCDayGrantsTheBonus() throws {
        let host = try loadedHost()
        #expect(host.handle(registered()) == .ok)
        host.produced.removeAll()
        let first = login("e-l1", at: "2024-05-01T23:30:00+09:00")      // 14:30 UTC, 1 May
        #expect(host.handle(first) == .ok)
        var wallet = try #require(try host.wallet())
        #expect(wallet.balance == 6 && wallet.lastLoginDate == "2024-05-01" && wallet.lastSessionId == "s-1")
        #expect(wallet.usage.loginBonusDays == 1 && wallet.usage.ticketsGranted == 6)
        let out = try produced(host)
        #expect(out.count == 1)
        expected.notification(out[0], of: first, index: 0, template: "payment.daily-bonus",
                           data: ["date": "2024-05-01", "tickets": "1", "balance": "6", "owed": "0"],
                           occurredAt: "2024-05-01T14:30:00.000Z")
        let firstId = out[0].eventId

        // Same UTC day, another session: no bonus, session recorded.
        #expect(host.handle(login("e-l2", at: "2024-05-01T23:59:59Z", session: "s-2")) == .ok)
        wallet = try #require(try host.wallet())
        #expect(wallet.balance == 6 && wallet.lastSessionId == "s-2" && wallet.usage.loginBonusDays == 1)
        #expect(host.produced.count == 1)

        // Next UTC day (09:00 in Seoul is 00:00 UTC).
        #expect(host.handle(login("e-l3", at: "2024-05-02T09:00:00+09:00")) == .ok)
        wallet = try #require(try host.wallet())
        #expect(wallet.balance == 7 && wallet.lastLoginDate == "2024-05-02" && wallet.usage.loginBonusDays == 2)
        #expect(try produced(host).count == 2)
        #expect(try produced(host)[1].eventId != firstId)
    }

    @Test func aLateOlderLoginGrantsNothingAndKeepsTheLatestDay() throws {
        let host = try loadedHost()
        #expect(host.handle(login("e-l1", at: "2024-05-03T08:00:00Z")) == .ok)
        #expect(host.handle(login("e-l0", at: "2024-05-02T08:00:00Z", session: "s-0")) == .ok)
        let wallet = try #require(try host.wallet())
        #expect(wallet.lastLoginDate == "2024-05-03" && wallet.usage.loginBonusDays == 1)
        #expect(host.produced.count == 1)
    }

    @Test func aLoginBeforeRegistrationOpensTheWallet() throws {
        let host = try loadedHost()
        #expect(host.handle(login("e-l1", at: t0)) == .ok)
        let wallet = try #require(try host.wallet())
        #expect(wallet.openedBy == "user.login" && !wallet.registered && wallet.plan == "basic")
        #expect(wallet.balance == 6)       // welcome 5 + bonus 1
    }

    @Test func aZeroBonusRecordsTheDayWithoutNotifying() throws {
        let host = try loadedHost(#"{"daily_login_bonus":0}"#)
        #expect(host.handle(login("e-l1", at: t0)) == .ok)
        let wallet = try #require(try host.wallet())
        #expect(wallet.lastLoginDate == "2024-05-01" && wallet.balance == 5 && wallet.usage.loginBonusDays == 0)
        #expect(host.produced.isEmpty)
    }

    @Test func theBonusPaysOffOwedTicketsFirst() throws {
        let host = try loadedHost(#"{"welcome_tickets":0}"#)
        #expect(host.handle(started("e-1", cost: 2)) == .ok)           // owed 2
        host.produced.removeAll()
        #expect(host.handle(login("e-l1", at: t0)) == .ok)
        let wallet = try #require(try host.wallet())
        #expect(wallet.balance == 0 && wallet.owed == 1 && wallet.usage.ticketsRepaid == 1)
        #expect(try produced(host)[0].data == ["date": "2024-05-01", "tickets": "1", "balance": "0", "owed": "1"])
    }

    @Test func aRedeliveredLoginHasNoEffect() throws {
        try loadedHost().expectRedeliveryHasNoEffect(login("e-l1", at: t0), produced: 1)
    }

    @Test func ipIsOptional() throws {
        let host = try loadedHost()
        #expect(host.handle(event("user.login", id: "e-l1", payload: ["userId": userId, "sessionId": "s-1"])) == .ok)
        #expect(host.handle(event("user.login", id: "e-l2", payload: ["userId": userId, "sessionId": "s-1", "ip": NSNull()])) == .ok)
    }

    @Test func aBadTimestampIsRejected() throws {
        try loadedHost().expectRejected(login("e-l1", at: "2024-13-01T00:00:00Z"),
                                        "user.login: field 'occurredAt' must be an RFC 3339 timestamp, got '2024-13-01T00:00:00Z'")
    }

    @Test(arguments: [
        (["userId": "u-1"], "user.login: missing field 'payload.sessionId'"),
        (["userId": "u-1", "sessionId": "s-1", "ip": 10], "user.login: field 'payload.ip' must be a string"),
        (["sessionId": "s-1"], "user.login: missing field 'payload.userId'"),
    ] as [(Payload, String)])
    func malformedPayloadsAreRejected(payload: Payload, message: String) throws {
        try loadedHost().expectRejected(event("user.login", id: "e-bad", payload: payload.fields), message)
    }
}
