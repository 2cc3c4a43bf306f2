// Test fixtures: a temporary object store, a loaded plugin, event builders
// and a JSON value type for exact comparisons of produced events.
import AIEvaluation
import EventdPluginTesting
import Foundation
import Testing

/// A JSON value, comparable with literals.
enum JSON: Equatable, Decodable, CustomStringConvertible, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral, ExpressibleByNilLiteral {
    case string(String), int(Int), double(Double), bool(Bool), null, array([JSON]), object([String: JSON])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSON].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSON].self)) }
    }

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(dictionaryLiteral elements: (String, JSON)...) { self = .object(Dictionary(uniqueKeysWithValues: elements)) }
    init(arrayLiteral elements: JSON...) { self = .array(elements) }
    init(nilLiteral: ()) { self = .null }

    subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
    var string: String? { if case .string(let s) = self { return s }; return nil }
    var int: Int? { if case .int(let i) = self { return i }; return nil }

    var description: String {
        switch self {
        case .string(let s): "\"\(s)\""
        case .int(let i): "\(i)"
        case .double(let d): "\(d)"
        case .bool(let b): "\(b)"
        case .null: "null"
        case .array(let a): "[" + a.map(\.description).joined(separator: ",") + "]"
        case .object(let o): "{" + o.keys.sorted().map { "\"\($0)\":\(o[$0]!)" }.joined(separator: ",") + "}"
        }
    }
}

/// A produced record, its envelope decoded.
struct Produced: Equatable {
    var topic: String
    var key: String?
    var eventId: String
    var eventType: String
    var occurredAt: String
    var source: String
    var subject: String?
    var causationId: String
    var correlationId: String
    var traceparent: String?
    var payload: JSON

    init(_ raw: ProducedEvent) throws {
        topic = raw.topic
        key = raw.key.map { String(decoding: $0, as: UTF8.self) }
        let envelope = try JSONDecoder().decode(JSON.self, from: Data(raw.value ?? []))
        eventId = try #require(envelope["eventId"]?.string)
        eventType = try #require(envelope["eventType"]?.string)
        occurredAt = try #require(envelope["occurredAt"]?.string)
        source = try #require(envelope["source"]?.string)
        subject = envelope["subject"]?.string
        causationId = try #require(envelope["causationId"]?.string)
        correlationId = try #require(envelope["correlationId"]?.string)
        traceparent = raw.header("traceparent")
        payload = try #require(envelope["payload"])
        let keys: Set<String> = ["eventId", "eventType", "occurredAt", "source", "subject", "causationId", "correlationId", "payload"]
        if case .object(let o) = envelope { #expect(Set(o.keys) == keys) }
    }

    /// This record handed back to the plugin, as the daemon would route it.
    func asEvent(group: String = "ai-evaluation-group", raw: ProducedEvent) -> Event {
        Event(topic: topic, key: raw.key, value: raw.value, headers: raw.headers, name: eventType, id: eventId, consumerGroup: group)
    }
}

let occurredAt = "2024-05-01T10:00:00Z"

/// The evaluation id of the completion event `eventId` (of `userId` and `missionId`).
func evalID(_ eventId: String = "evt-1", missionId: String = "m-1", userId: String = "u-1") -> String {
    AIEvaluationPlugin.evaluationID(missionId: missionId, userId: userId,
                                    completion: Event(topic: "", value: nil, name: "", id: eventId, consumerGroup: ""))
}

/// The evaluation of the default `missionCompleted()`.
let evalM1 = evalID()
let producedTime = "2024-05-01T10:00:00.000Z"

/// Whether an RFC 3339 time lies within the last minute (a follow-up occurs when it is produced).
func isRecent(_ text: String) -> Bool {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: text).map { abs($0.timeIntervalSinceNow) < 60 } ?? false
}

/// A plugin loaded into a test host, with a temporary object store root.
final class Fixture {
    let root: URL
    let host = TestHost()

    init(settings: [String: Any] = [:]) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("ai-evaluation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var all = settings
        if all["object_store_root"] == nil { all["object_store_root"] = root.path }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: all), as: UTF8.self)
        try host.load(devtripEventdPluginV1(), settings: json)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// Writes an object under `key`.
    func write(_ key: String, _ text: String) throws {
        let url = root.appendingPathComponent(key)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// Writes a result object with these tests.
    func writeResult(_ key: String = "u-1/m-1.json", tests: [(String, Bool)], lintWarnings: Int = 0) throws {
        let list = tests.map { #"{"name":"\#($0.0)","passed":\#($0.1)}"# }.joined(separator: ",")
        try write(key, #"{"tests":[\#(list)],"lintWarnings":\#(lintWarnings),"durationSeconds":600}"#)
    }

    var produced: [Produced] { get throws { try host.produced.map(Produced.init) } }

    /// Produced records from index `from` on.
    func produced(from start: Int) throws -> [Produced] { try host.produced[start...].map(Produced.init) }

    /// Expects every field of `values` in both the user's and the global statistics.
    func expectStats(_ values: [String: JSON], user: String = "u-1", sourceLocation: SourceLocation = #_sourceLocation) throws {
        for key in ["stats/\(user)", "global/stats"] {
            let stats = try #require(try state(key), sourceLocation: sourceLocation)
            for (field, value) in values.sorted(by: { $0.key < $1.key }) {
                #expect(stats[field] == value, "\(key): \(field)", sourceLocation: sourceLocation)
            }
        }
    }

    func state(_ key: String) throws -> JSON? {
        guard let text = host.stateString(key) else { return nil }
        return try JSONDecoder().decode(JSON.self, from: Data(text.utf8))
    }

    /// Hands the produced record at `index` back to the plugin.
    func feedBack(_ index: Int) throws -> Outcome {
        let raw = host.produced[index]
        return host.handle(try Produced(raw).asEvent(raw: raw))
    }
}

/// A JSON envelope event.
func envelopeEvent(name: String, topic: String, id: String, payload: [String: Any], subject: String? = "u-1",
                   time: String = occurredAt) -> Event {
    var envelope: [String: Any] = ["eventId": id, "eventType": name, "occurredAt": time, "source": "test", "payload": payload]
    if let subject { envelope["subject"] = subject }
    let value = try! JSONSerialization.data(withJSONObject: envelope, options: [.sortedKeys])
    return Event(topic: topic, key: Array("u-1".utf8), value: Array(value), name: name, id: id,
                 consumerGroup: "ai-evaluation-group")
}

func missionCompleted(id: String = "evt-1", userId: String = "u-1", missionId: String = "m-1",
                      resultKey: String = "u-1/m-1.json", durationSeconds: Int = 600,
                      topic: String = "mission.completed") -> Event {
    envelopeEvent(name: "mission.completed", topic: topic, id: id,
                  payload: ["userId": userId, "missionId": missionId, "resultKey": resultKey, "durationSeconds": durationSeconds],
                  subject: userId)
}

func retryRequested(id: String = "retry-1", userId: String = "u-1", missionId: String = "m-1",
                    evaluationId: String = evalM1, attempt: Int = 2, reason: String = "manual") -> Event {
    envelopeEvent(name: "evaluation.retry.requested", topic: "evaluation-events", id: id,
                  payload: ["userId": userId, "missionId": missionId, "evaluationId": evaluationId,
                            "attempt": attempt, "reason": reason],
                  subject: userId)
}

/// A raw-value event (for malformed input).
func rawEvent(_ value: String?, name: String = "mission.completed", id: String = "evt-bad") -> Event {
    Event(topic: "mission.completed", value: value.map { Array($0.utf8) }, name: name, id: id, consumerGroup: "ai-evaluation-group")
}
