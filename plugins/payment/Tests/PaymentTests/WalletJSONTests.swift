// The wallet is written on every event by the SDK's SortedJSONEncoder: the bytes
// must be those of the shared Foundation encoder, or a wallet written by an older
// build and one written now would differ for the same content.
@testable import Payment
import EventdServiceKit
import Foundation
import Testing

@Suite struct WalletJSONTests {
    /// Wallets of every shape: absent optionals, empty and full maps, escapes, extreme counters.
    static let wallets: [Wallet] = {
        var x: UInt64 = 0x2545_F491_4F6C_DD1D
        func next(_ bound: Int) -> Int {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            return Int(x % UInt64(bound))
        }
        let texts = ["", "user-1", "m/1", "é\"\\\n", "2026-11-24T10:00:00.000Z", "plan pro"]
        return (0..<300).map { n in
            var wallet = Wallet.open(userId: texts[next(texts.count)] + "\(n)", plan: texts[next(texts.count)],
                                     tickets: next(10), by: "user.registered", at: texts[next(texts.count)])
            wallet.registered = next(2) == 0
            wallet.owed = [0, 1, Int.max, -1][next(4)]
            if next(2) == 0 { wallet.lastLoginDate = "2026-11-2\(next(9))" }
            if next(3) == 0 { wallet.lastSessionId = texts[next(texts.count)] }
            wallet.usage.ticketsUsed = next(1000) - 500
            wallet.usage.missionSeconds = Int.min + next(3)
            for m in 0..<next(25) {
                var account = MissionAccount(status: [MissionAccount.charged, MissionAccount.settled, MissionAccount.none][next(3)])
                account.starts = next(4)
                account.lastCost = next(9)
                if next(2) == 0 { account.startedAt = texts[next(texts.count)] }
                if next(2) == 0 { account.settledAt = "2026-11-24T11:00:00.000Z" }
                if next(2) == 0 { account.bestScore = next(101) }
                account.passRewarded = next(2) == 0
                account.perfectRewarded = next(5) == 0
                wallet.missions["m-\(m)" + (m % 7 == 0 ? "/é" : "")] = account
            }
            for e in 0..<next(70) { wallet.remember("e-\(n)-\(e)") }
            return wallet
        }
    }()

    @Test func aWalletIsWrittenAsTheSharedEncoderWritesIt() throws {
        for wallet in Self.wallets {
            let direct = try Store.encode(wallet)
            let foundation = Array(try Store.encoder().encode(wallet))
            #expect(direct == foundation, "\(String(decoding: direct, as: UTF8.self))")
            #expect(try Store.decoder().decode(Wallet.self, from: Data(direct)) == wallet)
            // Written by the types themselves (the encoder's fast path), not through `encode(to:)`.
            #expect(try JSONObject.writesInOrder(wallet) && JSONObject.writesInOrder(wallet.usage))
            for account in wallet.missions.values { #expect(try JSONObject.writesInOrder(account)) }
        }
    }
}
