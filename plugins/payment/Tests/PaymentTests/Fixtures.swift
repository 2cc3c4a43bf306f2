// Builders for incoming events and readers for what the plugin did.
import EventdPluginTesting
import Foundation
@testable import Payment
import Testing

let userId = "u-1"
let t0 = "2024-05-01T10:00:00Z"

/// A JSON-envelope event as the daemon routes it.
func event(_ name: String, id: String, at occurredAt: Any = t0, subject: String? = userId,
           group: String? = nil, payload: [String: Any]) -> Event {
    envelopeEvent(name, id: id, at: occurredAt, subject: subject, userId: userId, group: group, payload: payload,
                  claims: PaymentPlugin.subscriptions)
}

func registered(_ id: String = "e-reg", plan: String = "pro", at: String = t0) -> Event {
    event("user.registered", id: id, at: at, payload: ["userId": userId, "email": "kim@example.com",
                                                       "displayName": "Kim", "plan": plan])
}

func login(_ id: String, at: String, session: String = "s-1") -> Event {
    event("user.login", id: id, at: at, payload: ["userId": userId, "sessionId": session, "ip": "10.0.0.1"])
}

func started(_ id: String, mission: String = "m-1", cost: Any = 2, at: String = t0) -> Event {
    event("mission.started", id: id, at: at, payload: ["userId": userId, "missionId": mission, "ticketCost": cost])
}

func completed(_ id: String, mission: String = "m-1", duration: Any = 600, at: String = t0) -> Event {
    event("mission.completed", id: id, at: at, payload: ["userId": userId, "missionId": mission,
                                                         "resultKey": "results/u-1/\(mission).json",
                                                         "durationSeconds": duration])
}

func evaluated(_ id: String, mission: String = "m-1", score: Any = 80, passed: Any = true, at: String = t0) -> Event {
    event("evaluation.completed", id: id, at: at, payload: ["userId": userId, "missionId": mission,
                                                            "evaluationId": "eval-\(mission)", "score": score,
                                                            "passed": passed, "feedback": "good"])
}

func loadedHost(_ settings: String = "{}") throws -> TestHost {
    let host = TestHost()
    try host.load(devtripEventdPluginV1(), settings: settings)
    return host
}

extension TestHost {
    func wallet(_ user: String = userId) throws -> Wallet? {
        guard let text = stateString("wallet/\(user)") else { return nil }
        return try JSONDecoder().decode(Wallet.self, from: Data(text.utf8))
    }

    /// Stores a wallet as the plugin would have.
    func put(_ wallet: Wallet) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        state[Array("wallet/\(wallet.userId)".utf8)] = Array(try encoder.encode(wallet))
    }
}

typealias Produced = ProducedEnvelope
typealias Payload = TestPayload

func produced(_ host: TestHost) throws -> [Produced] { host.produced.map(Produced.init) }

/// Checks of this plugin's follow-ups.
let expected = FollowUpChecks(plugin: "payment", source: "payment-service", user: userId, occurredAt: "2024-05-01T10:00:00.000Z")
