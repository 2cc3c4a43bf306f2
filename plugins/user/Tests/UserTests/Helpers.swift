import User
import EventdPluginSDK
import EventdPluginTesting
import Foundation
import Testing

let plugin = "user"
let user = "u-1"

/// The topic each event travels on in these tests.
func topic(of name: String) -> String {
    switch name {
    case "user.registered": "auth-events"
    case let n where n.hasPrefix("payment."): "payment-events"
    default: name  // mission.completed and evaluation.completed have topics of their own
    }
}

func group(of name: String) -> String {
    switch name {
    case "user.registered": UserPlugin.authGroup
    case let n where n.hasPrefix("payment."): UserPlugin.paymentGroup
    case "mission.completed": UserPlugin.missionGroup
    default: UserPlugin.evaluationGroup
    }
}

/// A JSON envelope as the catalog's producers write it.
func envelope(id: String, type: String, at: String, subject: String?, payload: Any) -> [UInt8] {
    var object: [String: Any] = ["eventId": id, "eventType": type, "occurredAt": at, "source": "test", "payload": payload]
    if let subject { object["subject"] = subject }
    return Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
}

/// The id the plugin must give its `index`-th follow-up of event `id`.
func followUpID(_ id: String, _ index: Int) -> String {
    Event(topic: "", value: nil, name: "", id: id, consumerGroup: "").followUpID(index, plugin: plugin)
}

/// RFC 3339 text `seconds` after 2025-03-01T09:00:00Z.
func time(_ seconds: Int) -> String {
    Timestamp(seconds).text
}

struct Timestamp {
    let date: Date
    init(_ seconds: Int) { date = Date(timeIntervalSince1970: 1_740_819_600 + TimeInterval(seconds)) }
    var text: String { ISO8601DateFormatter().string(from: date) }
    /// The form the plugin writes (milliseconds).
    var written: String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }
}

/// A follow-up as decoded from the produced record.
struct Produced {
    let topic: String
    let key: String
    let envelope: [String: Any]
    var eventId: String { envelope["eventId"] as? String ?? "" }
    var eventType: String { envelope["eventType"] as? String ?? "" }
    var payload: [String: Any] { envelope["payload"] as? [String: Any] ?? [:] }
    var template: String { payload["template"] as? String ?? "" }
    var data: [String: String] { payload["data"] as? [String: String] ?? [:] }
    var settings: [String: String] { payload["settings"] as? [String: String] ?? [:] }
}

/// The user plugin loaded in a test host, with helpers to send events and read effects.
final class Fixture {
    let host = TestHost()

    init(settings: String = "{}") throws {
        try host.load(devtripEventdPluginV1(), settings: settings)
    }

    /// Sends `name` with `payload` (a JSON object, or any JSON value for malformed cases).
    @discardableResult
    func send(_ name: String, id: String, at: String = time(0), subject: String? = user, payload: Any,
              topic explicitTopic: String? = nil) -> Outcome {
        host.handle(Event(topic: explicitTopic ?? topic(of: name), partition: 0, offset: 0, key: Array(user.utf8),
                          value: envelope(id: id, type: name, at: at, subject: subject, payload: payload),
                          name: name, id: id, consumerGroup: group(of: name)))
    }

    func sendRaw(_ name: String, id: String, value: [UInt8]?, headers: [Header] = []) -> Outcome {
        host.handle(Event(topic: topic(of: name), key: Array(user.utf8), value: value, headers: headers,
                          name: name, id: id, consumerGroup: group(of: name)))
    }

    /// A stored JSON document.
    func doc(_ key: String) -> [String: Any]? {
        guard let text = host.stateString(key) else { return nil }
        return try! JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    var produced: [Produced] {
        host.produced.map { p in
            Produced(topic: p.topic, key: String(decoding: p.key ?? [], as: UTF8.self),
                     envelope: (try? JSONSerialization.jsonObject(with: Data(p.valueString.utf8))) as? [String: Any] ?? [:])
        }
    }

    func clearProduced() { host.produced.removeAll() }
}

/// Checks a produced notification end to end: topic, key, envelope fields, deterministic id, payload.
func expectNotification(_ p: Produced, source id: String, index: Int, at: Timestamp, template: String, data: [String: String],
                        topic: String = "notification-events", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(p.topic == topic, sourceLocation: sourceLocation)
    #expect(p.key == user, sourceLocation: sourceLocation)
    #expect(p.eventType == "notification.requested", sourceLocation: sourceLocation)
    #expect(p.eventId == followUpID(id, index), sourceLocation: sourceLocation)
    #expect(p.envelope["source"] as? String == "user-service", sourceLocation: sourceLocation)
    #expect(p.envelope["subject"] as? String == user, sourceLocation: sourceLocation)
    #expect(p.envelope["occurredAt"] as? String == at.written, sourceLocation: sourceLocation)
    #expect(p.payload["userId"] as? String == user, sourceLocation: sourceLocation)
    #expect(p.payload["channel"] as? String == "email", sourceLocation: sourceLocation)
    #expect(p.template == template, sourceLocation: sourceLocation)
    #expect(p.data == data, sourceLocation: sourceLocation)
}

/// Checks a produced user.settings.changed / user.profile.updated end to end.
func expectUserEvent(_ p: Produced, source id: String, index: Int, at: Timestamp, type: String, payload expected: [String: Any],
                     topic: String = "user-events", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(p.topic == topic, sourceLocation: sourceLocation)
    #expect(p.key == user, sourceLocation: sourceLocation)
    #expect(p.eventType == type, sourceLocation: sourceLocation)
    #expect(p.eventId == followUpID(id, index), sourceLocation: sourceLocation)
    #expect(p.envelope["source"] as? String == "user-service", sourceLocation: sourceLocation)
    #expect(p.envelope["subject"] as? String == user, sourceLocation: sourceLocation)
    #expect(p.envelope["occurredAt"] as? String == at.written, sourceLocation: sourceLocation)
    #expect(NSDictionary(dictionary: p.payload).isEqual(to: expected), "\(p.payload)", sourceLocation: sourceLocation)
}

// Valid payloads, one per handled event.
func registered(plan: String = "basic") -> [String: Any] {
    ["userId": user, "email": "kim@example.com", "displayName": "Kim", "plan": plan]
}

func renewalFailed(amount: Any = 9900, plan: Any = "pro") -> [String: Any] {
    ["userId": user, "subscriptionId": "sub-1", "plan": plan, "amount": amount, "reason": "card declined"]
}

func subscriptionChanged(from: String = "basic", to: String = "pro", refund: Int? = nil) -> [String: Any] {
    var p: [String: Any] = ["userId": user, "subscriptionId": "sub-1", "fromPlan": from, "toPlan": to]
    if let refund { p["refundAmount"] = refund }
    return p
}

func balanceLow(plan: String = "basic", balance: Int = 2, threshold: Int = 5) -> [String: Any] {
    ["userId": user, "balance": balance, "threshold": threshold, "plan": plan]
}

func missionCompleted(_ mission: String = "m-1", duration: Int = 1200) -> [String: Any] {
    ["userId": user, "missionId": mission, "resultKey": "results/u-1/\(mission).json", "durationSeconds": duration]
}

func evaluationCompleted(_ mission: String = "m-1", score: Int = 80, passed: Bool = true) -> [String: Any] {
    ["userId": user, "missionId": mission, "evaluationId": "eval-\(mission)", "score": score, "passed": passed, "feedback": "good"]
}

func validPayload(_ name: String) -> [String: Any] {
    switch name {
    case "user.registered": registered()
    case "payment.subscription-renewal-failed": renewalFailed()
    case "payment.subscription-changed": subscriptionChanged()
    case "payment.ticket-balance-low": balanceLow()
    case "mission.completed": missionCompleted()
    case "evaluation.completed": evaluationCompleted()
    default: [:]
    }
}

let handledEvents = [
    "user.registered", "payment.subscription-renewal-failed", "payment.subscription-changed", "payment.ticket-balance-low",
    "mission.completed", "evaluation.completed",
]

/// Optional payload fields (absent is fine).
let optionalFields: Set<String> = ["refundAmount"]
