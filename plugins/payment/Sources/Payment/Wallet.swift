// The `wallet/<userId>` document: a user's tickets, plan and usage statistics.
import EventdServiceKit

/// One user's tickets. The balance never goes below zero: a charge larger
/// than the balance takes what is there and records the rest as `owed`, which
/// the next tickets granted pay off first.
struct Wallet: RemembersEvents, Equatable {
    var userId: String
    var plan: String
    var balance: Int
    var owed: Int
    /// Whether `user.registered` was seen (a wallet may be opened earlier by
    /// another event: the user's events arrive on different topics).
    var registered: Bool
    /// The event that opened the wallet.
    var openedBy: String
    var openedAt: String
    /// UTC day (`yyyy-MM-dd`) of the latest login seen, and its session.
    var lastLoginDate: String?
    var lastSessionId: String?
    var usage: Usage
    /// Ticket charges and rewards per mission id.
    var missions: SortedKeyMap<MissionAccount>
    /// Ids of the latest events applied, newest last: a redelivered event
    /// found here has already had all its effects.
    var recentEvents: [String]

    static let recentEventLimit = 64

    static func open(userId: String, plan: String, tickets: Int, by event: String, at time: String) -> Wallet {
        var wallet = Wallet(userId: userId, plan: plan, balance: 0, owed: 0, registered: false, openedBy: event,
                            openedAt: time, lastLoginDate: nil, lastSessionId: nil, usage: Usage(), missions: [:],
                            recentEvents: [])
        wallet.grant(tickets)
        return wallet
    }

    /// Adds tickets, paying off what is owed first. Returns the tickets that went to the debt.
    @discardableResult
    mutating func grant(_ tickets: Int) -> Int {
        let repaid = min(owed, tickets)
        owed -= repaid
        balance += tickets - repaid
        usage.ticketsGranted += tickets
        usage.ticketsRepaid += repaid
        return repaid
    }

    /// Takes `cost` tickets: what the balance holds is charged, the rest is owed.
    mutating func charge(_ cost: Int) -> (charged: Int, owed: Int) {
        let charged = min(balance, cost)
        balance -= charged
        owed += cost - charged
        usage.ticketsUsed += cost
        usage.ticketsCharged += charged
        usage.ticketsOwed += cost - charged
        return (charged, cost - charged)
    }
}

/// Usage statistics, all counters since the wallet opened.
struct Usage: Codable, Equatable {
    var missionsStarted = 0
    var missionsCompleted = 0
    var missionSeconds = 0
    /// Tickets missions cost, of which `ticketsCharged` came from the balance and `ticketsOwed` went to the debt.
    var ticketsUsed = 0
    var ticketsCharged = 0
    var ticketsOwed = 0
    /// Tickets given (welcome, login bonus, rewards), of which `ticketsRepaid` paid off debt.
    var ticketsGranted = 0
    var ticketsRepaid = 0
    var loginBonusDays = 0
    var evaluationsPassed = 0
    var evaluationsFailed = 0
    var perfectScores = 0
}

/// What one mission cost and earned.
struct MissionAccount: Codable, Equatable {
    /// `charged` after a start, `settled` after its completion, `none` when
    /// only an evaluation was seen.
    var status: String
    var starts = 0
    var completions = 0
    var ticketsUsed = 0
    /// The latest start's cost, split into charged and owed.
    var lastCost = 0
    var lastCharged = 0
    var lastOwed = 0
    var startedAt: String?
    var settledAt: String?
    var bestScore: Int?
    var passRewarded = false
    var perfectRewarded = false

    static let charged = "charged"
    static let settled = "settled"
    static let none = "none"
}

// The wallet is written on every event: its types write their members themselves, in key order
// (`JSONObjectEncodable`, the SDK encoder's fast path). WalletJSONTests holds them to Foundation's bytes.

extension Wallet: JSONObjectEncodable {
    func encodeJSON(into object: inout JSONObject) throws {
        object.add(["balance": .integer(balance), "lastLoginDate": .string(lastLoginDate), "lastSessionId": .string(lastSessionId)])
        try object.add("missions", missions)
        object.add(["openedAt": .string(openedAt), "openedBy": .string(openedBy), "owed": .integer(owed), "plan": .string(plan)])
        object.add("recentEvents", recentEvents)
        object.add("registered", registered)
        try object.add("usage", usage)
        object.add("userId", userId)
    }
}

extension Usage: JSONObjectEncodable {
    func encodeJSON(into object: inout JSONObject) throws {
        object.add(["evaluationsFailed": .integer(evaluationsFailed), "evaluationsPassed": .integer(evaluationsPassed),
                    "loginBonusDays": .integer(loginBonusDays), "missionSeconds": .integer(missionSeconds),
                    "missionsCompleted": .integer(missionsCompleted), "missionsStarted": .integer(missionsStarted),
                    "perfectScores": .integer(perfectScores), "ticketsCharged": .integer(ticketsCharged),
                    "ticketsGranted": .integer(ticketsGranted), "ticketsOwed": .integer(ticketsOwed),
                    "ticketsRepaid": .integer(ticketsRepaid), "ticketsUsed": .integer(ticketsUsed)])
    }
}

extension MissionAccount: JSONObjectEncodable {
    func encodeJSON(into object: inout JSONObject) throws {
        object.add(["bestScore": .integer(bestScore), "completions": .integer(completions), "lastCharged": .integer(lastCharged),
                    "lastCost": .integer(lastCost), "lastOwed": .integer(lastOwed), "passRewarded": .bool(passRewarded),
                    "perfectRewarded": .bool(perfectRewarded), "settledAt": .string(settledAt), "startedAt": .string(startedAt),
                    "starts": .integer(starts), "status": .string(status), "ticketsUsed": .integer(ticketsUsed)])
    }
}
