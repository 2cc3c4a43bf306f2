// The wallet written directly as JSON: the same bytes as the shared encoder's
// (members in byte order of their names, nil ones left out), at a fraction of
// its cost; the wallet is written on every event (WalletJSONTests compares them).
import EventdServiceKit

extension Wallet: JSONValue {
    func writeJSON(_ out: inout JSONWriter) {
        out.object { out in
            out.field("balance", balance)
            out.field("lastLoginDate", lastLoginDate)
            out.field("lastSessionId", lastSessionId)
            out.field("missions", missions)
            out.field("openedAt", openedAt)
            out.field("openedBy", openedBy)
            out.field("owed", owed)
            out.field("plan", plan)
            out.field("recentEvents", recentEvents)
            out.field("registered", registered)
            out.field("usage", usage)
            out.field("userId", userId)
        }
    }
}

extension Usage: JSONValue {
    func writeJSON(_ out: inout JSONWriter) {
        out.object { out in
            out.field("evaluationsFailed", evaluationsFailed)
            out.field("evaluationsPassed", evaluationsPassed)
            out.field("loginBonusDays", loginBonusDays)
            out.field("missionSeconds", missionSeconds)
            out.field("missionsCompleted", missionsCompleted)
            out.field("missionsStarted", missionsStarted)
            out.field("perfectScores", perfectScores)
            out.field("ticketsCharged", ticketsCharged)
            out.field("ticketsGranted", ticketsGranted)
            out.field("ticketsOwed", ticketsOwed)
            out.field("ticketsRepaid", ticketsRepaid)
            out.field("ticketsUsed", ticketsUsed)
        }
    }
}

extension MissionAccount: JSONValue {
    func writeJSON(_ out: inout JSONWriter) {
        out.object { out in
            out.field("bestScore", bestScore)
            out.field("completions", completions)
            out.field("lastCharged", lastCharged)
            out.field("lastCost", lastCost)
            out.field("lastOwed", lastOwed)
            out.field("passRewarded", passRewarded)
            out.field("perfectRewarded", perfectRewarded)
            out.field("settledAt", settledAt)
            out.field("startedAt", startedAt)
            out.field("starts", starts)
            out.field("status", status)
            out.field("ticketsUsed", ticketsUsed)
        }
    }
}
