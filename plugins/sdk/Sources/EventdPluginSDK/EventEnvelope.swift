// The DevTrip event envelope (docs/catalog-mapping.md), decoded strictly into per-event
// types and encoded for follow-up events.
import Foundation

/// Why an event could not be decoded: a precise message, suitable for a reject.
public struct EventDecodingError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// An incoming event with its payload decoded as `Payload`.
///
/// Accepts both wire forms: a JSON envelope `{eventId, eventType, occurredAt,
/// source, subject, payload}`, or a CloudEvents binary-mode record whose
/// `ce_id`, `ce_type`, `ce_time`, `ce_source` and `ce_subject` headers carry
/// the envelope and whose value is the payload.
public struct EventEnvelope<Payload: Decodable> {
    public var eventId: String
    public var eventType: String
    public var occurredAt: Date
    public var source: String?
    public var subject: String?
    public var payload: Payload
    /// The event's place in its chain (`causationId`, `correlationId`, `traceparent`); see `EventLineage`.
    public var causationId: String?
    public var correlationId: String?
    public var traceparent: String?
    public var lineage: EventLineage { EventLineage(eventId: eventId, correlationId: correlationId, traceparent: traceparent) }

    /// - Throws: `EventDecodingError` naming the missing or mistyped field.
    public init(_ event: Event) throws {
        guard let value = event.value, !value.isEmpty else { throw EventDecodingError("the event has no value") }
        traceparent = event.headerString(LineageField.traceparentHeader)
        if let type = event.header("ce_type") {
            guard let id = event.header("ce_id").map({ String(decoding: $0, as: UTF8.self) }), !id.isEmpty else {
                throw EventDecodingError("CloudEvents record without ce_id")
            }
            guard let time = event.header("ce_time").map({ String(decoding: $0, as: UTF8.self) }) else {
                throw EventDecodingError("CloudEvents record without ce_time")
            }
            eventId = id
            eventType = String(decoding: type, as: UTF8.self)
            occurredAt = try Self.timestamp(time, field: "ce_time")
            source = event.header("ce_source").map { String(decoding: $0, as: UTF8.self) }
            subject = event.header("ce_subject").map { String(decoding: $0, as: UTF8.self) }
            causationId = event.headerString(LineageField.causationHeader)
            correlationId = event.headerString(LineageField.correlationHeader)
            payload = try Self.decode(Payload.self, from: Data(value), prefix: "")
            return
        }
        let raw = try Self.decode(RawEnvelope.self, from: Data(value), prefix: "")
        guard !raw.eventId.isEmpty else { throw EventDecodingError("field 'eventId' must not be empty") }
        eventId = raw.eventId
        eventType = raw.eventType
        occurredAt = try Self.timestamp(raw.occurredAt, field: "occurredAt")
        source = raw.source
        subject = raw.subject
        causationId = raw.causationId
        correlationId = raw.correlationId
        guard let payloadData = raw.payloadData else { throw EventDecodingError("missing field 'payload'") }
        payload = try Self.decode(Payload.self, from: payloadData, prefix: "payload.")
    }

    private struct RawEnvelope: Decodable {
        var eventId: String
        var eventType: String
        var occurredAt: String
        var source: String?
        var subject: String?
        var causationId: String?
        var correlationId: String?
        var payloadData: Data?

        enum CodingKeys: String, CodingKey { case eventId, eventType, occurredAt, source, subject, causationId, correlationId, payload }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            eventId = try c.decode(String.self, forKey: .eventId)
            eventType = try c.decode(String.self, forKey: .eventType)
            occurredAt = try c.decode(String.self, forKey: .occurredAt)
            source = try c.decodeIfPresent(String.self, forKey: .source)
            subject = try c.decodeIfPresent(String.self, forKey: .subject)
            causationId = try c.decodeIfPresent(String.self, forKey: .causationId)
            correlationId = try c.decodeIfPresent(String.self, forKey: .correlationId)
            payloadData = try c.decodeIfPresent(JSONFragment.self, forKey: .payload)?.data
        }
    }

    static func timestamp(_ text: String, field: String) throws -> Date {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = fractional.date(from: text) ?? plain.date(from: text) else {
            throw EventDecodingError("field '\(field)' must be an RFC 3339 timestamp, got '\(text)'")
        }
        return date
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data, prefix: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw EventDecodingError(describe(error, prefix: prefix))
        } catch {
            throw EventDecodingError("\(error)")
        }
    }

    static func describe(_ error: DecodingError, prefix: String) -> String {
        func path(_ keys: [CodingKey]) -> String {
            prefix + keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let full = path(context.codingPath + [key])
            return "missing field '\(full)'"
        case .typeMismatch(let type, let context):
            return "field '\(path(context.codingPath))' must be \(describeType(type))"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' must be \(describeType(type)), not null"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "value is not valid JSON" : "field '\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    static func describeType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "a boolean"
        default: "of type \(type)"
        }
    }
}

/// Captures any JSON value's bytes, to decode it later as a specific type.
struct JSONFragment: Decodable {
    let data: Data
    init(from decoder: Decoder) throws {
        let value = try AnyJSON(from: decoder)
        data = try JSONSerialization.data(withJSONObject: value.object, options: [.fragmentsAllowed])
    }
}

private struct AnyJSON: Decodable {
    let object: Any
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: Key.self) {
            var dictionary: [String: Any] = [:]
            for key in keyed.allKeys { dictionary[key.stringValue] = try keyed.decode(AnyJSON.self, forKey: key).object }
            object = dictionary
        } else if var unkeyed = try? decoder.unkeyedContainer() {
            var array: [Any] = []
            while !unkeyed.isAtEnd { array.append(try unkeyed.decode(AnyJSON.self).object) }
            object = array
        } else {
            let single = try decoder.singleValueContainer()
            if single.decodeNil() { object = NSNull() }
            else if let b = try? single.decode(Bool.self) { object = b }
            else if let i = try? single.decode(Int64.self) { object = i }
            else if let d = try? single.decode(Double.self) { object = d }
            else { object = try single.decode(String.self) }
        }
    }
}

/// A follow-up event to produce, encoded as a JSON envelope.
public struct OutgoingEvent<Payload: Encodable>: Encodable {
    public var eventId: String
    public var eventType: String
    public var occurredAt: String
    public var source: String
    public var subject: String?
    /// The causing event's id and the chain's first event id (absent on an event that starts a chain).
    public var causationId: String?
    public var correlationId: String?
    public var payload: Payload

    /// A follow-up of the event `lineage` describes, happening `at` (now by default).
    /// - Parameters:
    ///   - id: use `event.followUpID(n)` so a re-sent follow-up keeps its id.
    public init(id: String, type: String, source: String, subject: String?, payload: Payload,
                after lineage: EventLineage, at occurredAt: Date = Date()) {
        self.init(id: id, type: type, occurredAt: occurredAt, source: source, subject: subject, payload: payload)
        causationId = lineage.eventId
        correlationId = lineage.correlationId
    }

    /// - Parameters:
    ///   - id: use `event.followUpID(n)` so a re-sent follow-up keeps its id.
    public init(id: String, type: String, occurredAt: Date, source: String, subject: String?, payload: Payload) {
        eventId = id
        eventType = type
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        self.occurredAt = formatter.string(from: occurredAt)
        self.source = source
        self.subject = subject
        self.payload = payload
    }

    /// The envelope as JSON bytes (keys sorted, so equal events are equal bytes).
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }
}

extension Event {
    /// A deterministic id for this event's `index`-th follow-up from `plugin`:
    /// the same source event always yields the same ids, so a follow-up sent
    /// again after a crash is recognised downstream as a duplicate.
    /// Format: `fu-` and 32 hex digits (two FNV-1a 64-bit hashes).
    public func followUpID(_ index: Int, plugin: String) -> String {
        let material = Array("\(id)\u{0}\(plugin)\u{0}\(index)".utf8)
        func fnv(_ seed: UInt64) -> UInt64 {
            var h = seed
            for b in material { h = (h ^ UInt64(b)) &* 0x100000001b3 }
            return h
        }
        let a = fnv(0xcbf29ce484222325), b = fnv(0x84222325cbf29ce4 ^ 0x9e3779b97f4a7c15)
        return "fu-" + hex(a) + hex(b)
    }

    private func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
