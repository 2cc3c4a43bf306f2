// Plumbing the service plugins' handlers share (auth, user): strict decoding
// with validation, JSON state documents, follow-up events with deterministic
// ids, and the error kinds that become a reject or a retry. A static library
// linked into each plugin image: no Swift type crosses the plugin ABI.
import EventdPluginSDK
import Foundation

/// A permanent problem with an event (bad value in an otherwise well-formed
/// payload): the handler rejects it with this message.
public struct Rejection: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A stored document that no longer decodes: permanent, so a reject.
public struct StateError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// The subscription plans, lowest to highest.
public enum Plan: String, CaseIterable, Codable, Sendable {
    case basic, pro, premium

    public var rank: Int { Plan.allCases.firstIndex(of: self)! }

    /// The plan named by a payload field, or a rejection naming the field.
    public static func parse(_ text: String, field: String) throws -> Plan {
        guard let plan = Plan(rawValue: text) else {
            throw Rejection("field 'payload.\(field)' must be one of \(allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
        }
        return plan
    }
}

/// How a plan change moves along the plan order.
public enum PlanDirection: String, Codable, Sendable {
    case upgrade, downgrade, unchanged

    public init(from: Plan, to: Plan) {
        self = to.rank > from.rank ? .upgrade : to.rank < from.rank ? .downgrade : .unchanged
    }
}

/// Field checks beyond what the decoder enforces; the messages name the field
/// the way the SDK's decoding errors do.
public enum Check {
    public static func nonEmpty(_ value: String, _ field: String) throws {
        if value.isEmpty { throw Rejection("field 'payload.\(field)' must not be empty") }
    }

    /// An id that becomes part of a state key: non-empty and without '/'.
    public static func keySafe(_ value: String, _ field: String) throws {
        try nonEmpty(value, field)
        if value.contains("/") { throw Rejection("field 'payload.\(field)' must not contain '/', got '\(value)'") }
    }

    public static func nonNegative(_ value: Int, _ field: String) throws {
        if value < 0 { throw Rejection("field 'payload.\(field)' must not be negative, got \(value)") }
    }

    public static func score(_ value: Int, _ field: String = "score") throws {
        if !(0...100).contains(value) { throw Rejection("field 'payload.\(field)' must be between 0 and 100, got \(value)") }
    }
}

/// A payload that names the user it is about.
public protocol UserPayload: Decodable {
    var userId: String { get }
    /// Checks values the decoder cannot (empty ids, ranges, plan names).
    func validate() throws
}

/// A decoded, validated event and what a handler needs to act on it.
public struct Incoming<Payload: UserPayload> {
    public let event: Event
    public let envelope: EventEnvelope<Payload>
    public var payload: Payload { envelope.payload }
    public var userId: String { envelope.payload.userId }
    public var at: Date { envelope.occurredAt }
    public var eventId: String { envelope.eventId }

    /// Decodes strictly, then validates: the user id must be present and
    /// agree with the envelope's `subject` when there is one.
    public init(_ event: Event, as type: Payload.Type) throws {
        self.event = event
        envelope = try EventEnvelope<Payload>(event)
        try Check.keySafe(envelope.payload.userId, "userId")
        if let subject = envelope.subject, subject != envelope.payload.userId {
            throw Rejection("envelope subject '\(subject)' does not match payload.userId '\(envelope.payload.userId)'")
        }
        try envelope.payload.validate()
    }
}

/// RFC 3339 timestamps with milliseconds, the form `OutgoingEvent` writes.
public enum Timestamp {
    public static func string(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    public static func date(_ text: String) -> Date? {
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }

    /// Whole seconds from `start` to `end`, never negative.
    public static func seconds(from start: Date, to end: Date) -> Int {
        max(0, Int(end.timeIntervalSince(start).rounded(.down)))
    }
}

/// The plugin's key-value store holding JSON documents.
public struct Store {
    public let host: PluginHost

    public init(host: PluginHost) { self.host = host }

    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.string(date))
        }
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.date(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 timestamp: '\(text)'")
            }
            return date
        }
        return decoder
    }

    /// The document at `key`, `nil` when absent.
    /// - Throws: `HostError` (transient) or `StateError` when it does not decode.
    public func load<T: Decodable>(_ type: T.Type, _ key: String) throws -> T? {
        guard let bytes = try host.state(key) else { return nil }
        do {
            return try Self.decoder().decode(T.self, from: Data(bytes))
        } catch {
            throw StateError(description: "stored document '\(key)' does not decode as \(T.self): \(error)")
        }
    }

    public func save<T: Encodable>(_ key: String, _ value: T) throws {
        try host.setState(key, Array(try Self.encoder().encode(value)))
    }

    public func delete(_ key: String) throws { try host.deleteState(key) }
}

/// A `notification.requested` payload (plugins/README.md).
public struct NotificationRequested: Encodable {
    public let userId: String
    public let channel: String
    public let template: String
    public let data: [String: String]

    public init(userId: String, channel: String, template: String, data: [String: String]) {
        self.userId = userId
        self.channel = channel
        self.template = template
        self.data = data
    }
}

/// Produces one source event's follow-ups: JSON envelopes keyed by the user,
/// with ids `followUpID(0)`, `followUpID(1)`, ... in production order, so a
/// handler run again for the same event produces the same ids.
public final class FollowUps {
    public let host: PluginHost
    public let event: Event
    public let plugin: String
    public let source: String
    public let subject: String
    public let occurredAt: Date
    public private(set) var count = 0

    public init<P>(_ incoming: Incoming<P>, host: PluginHost, plugin: String, source: String) {
        var event = incoming.event
        // The daemon fills the id from the envelope; fall back to the decoded one.
        if event.id.isEmpty { event.id = incoming.eventId }
        self.event = event
        self.host = host
        self.plugin = plugin
        self.source = source
        subject = incoming.userId
        occurredAt = incoming.at
    }

    public func produce<P: Encodable>(topic: String, type: String, payload: P) throws {
        let outgoing = OutgoingEvent(id: event.followUpID(count, plugin: plugin), type: type, occurredAt: occurredAt,
                                     source: source, subject: subject, payload: payload)
        count += 1
        try host.produce(topic: topic, key: Array(subject.utf8), value: try outgoing.encoded())
    }
}

/// Appends `element`, keeping at most `limit` (the newest).
public func appendBounded<T>(_ list: inout [T], _ element: T, limit: Int) {
    list.append(element)
    if list.count > limit { list.removeFirst(list.count - limit) }
}

/// Counts `key` in a tally of at most `limit` distinct keys; further keys
/// are counted under "other", so free-text reasons cannot grow a document.
public func tally(_ counts: inout [String: Int], _ key: String, limit: Int) {
    if counts[key] == nil && counts.count >= limit {
        counts["other", default: 0] += 1
    } else {
        counts[key, default: 0] += 1
    }
}

extension PluginSettings {
    /// Refuses keys this plugin does not know, so a typo refuses the load.
    public func requireOnly(_ keys: Set<String>) throws {
        for key in raw.keys.sorted() where !keys.contains(key) {
            throw SettingsError("unknown setting '\(key)' (expected one of: \(keys.sorted().joined(separator: ", ")))")
        }
    }

    /// An integer setting. (The SDK's `int(_:)` refuses 0 and 1 on Linux,
    /// where Foundation lets those numbers cast to `Bool`; JSON booleans are
    /// told apart here by their `objCType`, "c".)
    public func integer(_ key: String) throws -> Int? {
        guard let value = raw[key] else { return nil }
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c",
              number.doubleValue == number.doubleValue.rounded(), abs(number.doubleValue) < 9.0e15 else {
            throw SettingsError("setting '\(key)' must be an integer")
        }
        return number.intValue
    }

    /// A list of integers of at least `minimum`, sorted and without duplicates.
    public func integers(_ key: String, default value: [Int], minimum: Int) throws -> [Int] {
        guard let raw = raw[key] else { return value }
        guard let list = raw as? [Any] else { throw SettingsError("setting '\(key)' must be an array of integers") }
        var numbers: Set<Int> = []
        for element in list {
            guard let number = element as? NSNumber, String(cString: number.objCType) != "c",
                  number.doubleValue == number.doubleValue.rounded(), abs(number.doubleValue) < 9.0e15 else {
                throw SettingsError("setting '\(key)' must be an array of integers")
            }
            guard number.intValue >= minimum else {
                throw SettingsError("setting '\(key)' must hold integers of at least \(minimum), got \(number.intValue)")
            }
            numbers.insert(number.intValue)
        }
        return numbers.sorted()
    }

    /// An integer setting of at least `minimum`.
    public func int(_ key: String, default value: Int, minimum: Int) throws -> Int {
        let number = try integer(key) ?? value
        guard number >= minimum else { throw SettingsError("setting '\(key)' must be at least \(minimum), got \(number)") }
        return number
    }

    /// A non-empty string setting.
    public func nonEmptyString(_ key: String, default value: String) throws -> String {
        let text = try string(key) ?? value
        guard !text.isEmpty else { throw SettingsError("setting '\(key)' must not be empty") }
        return text
    }
}
