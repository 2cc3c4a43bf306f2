// Builders for incoming events and readers for what the plugin did.
import EventdPluginTesting
import Foundation
@testable import Mission
import Testing

let userId = "u-1"
let t0 = "2024-05-01T10:00:00Z"

/// A JSON-envelope event as the daemon routes it.
func event(_ name: String, id: String, at occurredAt: Any = t0, subject: String? = userId,
           group: String? = nil, payload: [String: Any]) -> Event {
    envelopeEvent(name, id: id, at: occurredAt, subject: subject, userId: userId, group: group, payload: payload,
                  claims: MissionPlugin.subscriptions)
}

func registered(_ id: String = "e-reg", plan: String = "pro", at: String = t0) -> Event {
    event("user.registered", id: id, at: at, payload: ["userId": userId, "email": "kim@example.com",
                                                       "displayName": "Kim", "plan": plan])
}

func evaluated(_ id: String, mission: String = "intro-1", score: Any = 80, passed: Any = true, at: String = t0) -> Event {
    event("evaluation.completed", id: id, at: at, payload: ["userId": userId, "missionId": mission,
                                                            "evaluationId": "eval-\(mission)", "score": score,
                                                            "passed": passed, "feedback": "clean solution"])
}

func resourceCreated(_ id: String, mission: String = "intro-1", resource: String = "r-1", at: String = t0) -> Event {
    event("resource.created", id: id, at: at, payload: ["userId": userId, "missionId": mission, "resourceId": resource])
}

func loadedHost(_ settings: String = "{}") throws -> TestHost {
    let host = TestHost()
    try host.load(devtripEventdPluginV1(), settings: settings)
    return host
}

extension TestHost {
    func document<D: Decodable>(_ type: D.Type, _ key: String) throws -> D? {
        guard let text = stateString(key) else { return nil }
        return try JSONDecoder().decode(D.self, from: Data(text.utf8))
    }

    func progress(_ user: String = userId) throws -> MissionProgress? { try document(MissionProgress.self, "progress/\(user)") }
    func mission(_ missionId: String, user: String = userId) throws -> MissionRecord? {
        try document(MissionRecord.self, "mission/\(user)/\(missionId)")
    }
    func directory(_ user: String = userId) throws -> DataDirectory? { try document(DataDirectory.self, "directory/\(user)") }

    var keys: [String] { state.keys.map { String(decoding: $0, as: UTF8.self) }.sorted() }
}

typealias Produced = ProducedEnvelope
typealias Payload = TestPayload

func produced(_ host: TestHost) throws -> [Produced] { host.produced.map(Produced.init) }

/// Checks of this plugin's follow-ups.
let expected = FollowUpChecks(plugin: "mission", source: "mission-service", user: userId, occurredAt: "2024-05-01T10:00:00.000Z")
