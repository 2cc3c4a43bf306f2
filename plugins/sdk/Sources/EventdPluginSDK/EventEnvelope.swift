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
        // One pass: the payload decodes in place as `Payload` (its errors name `payload.<field>`).
        let raw = try Self.decode(RawEnvelope<Payload>.self, from: Data(value), prefix: "")
        eventId = raw.eventId
        eventType = raw.eventType
        occurredAt = raw.occurredAt
        source = raw.source
        subject = raw.subject
        causationId = raw.causationId
        correlationId = raw.correlationId
        payload = raw.payload
    }

    /// The JSON envelope, checked in field order: the envelope's own fields
    /// first, then the payload.
    private struct RawEnvelope<Body: Decodable>: Decodable {
        var eventId: String
        var eventType: String
        var occurredAt: Date
        var source: String?
        var subject: String?
        var causationId: String?
        var correlationId: String?
        var payload: Body

        enum CodingKeys: String, CodingKey { case eventId, eventType, occurredAt, source, subject, causationId, correlationId, payload }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            eventId = try c.decode(String.self, forKey: .eventId)
            guard !eventId.isEmpty else { throw EventDecodingError("field 'eventId' must not be empty") }
            eventType = try c.decode(String.self, forKey: .eventType)
            occurredAt = try EventEnvelope.timestamp(try c.decode(String.self, forKey: .occurredAt), field: "occurredAt")
            source = try c.decodeIfPresent(String.self, forKey: .source)
            subject = try c.decodeIfPresent(String.self, forKey: .subject)
            causationId = try c.decodeIfPresent(String.self, forKey: .causationId)
            correlationId = try c.decodeIfPresent(String.self, forKey: .correlationId)
            payload = try c.decode(Body.self, forKey: .payload)
        }
    }

    static func timestamp(_ text: String, field: String) throws -> Date {
        guard let date = RFC3339.date(text) else {
            throw EventDecodingError("field '\(field)' must be an RFC 3339 timestamp, got '\(text)'")
        }
        return date
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data, prefix: String) throws -> T {
        do {
            return try sharedDecoder.decode(T.self, from: data)
        } catch let error as EventDecodingError {
            throw error
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

/// Coders are set up once: JSONEncoder and JSONDecoder are safe to share
/// between threads once configured, and their setup showed in the profile.
let sharedDecoder = JSONDecoder()
let sortedEncoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
}()

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
    ///   - id: use `event.followUpID(n, plugin: Self.name)` (the n-th follow-up of `event`) so a re-sent follow-up keeps its id.
    public init(id: String, type: String, source: String, subject: String?, payload: Payload,
                after lineage: EventLineage, at occurredAt: Date = Date()) {
        self.init(id: id, type: type, occurredAt: occurredAt, source: source, subject: subject, payload: payload)
        causationId = lineage.eventId
        correlationId = lineage.correlationId
    }

    /// - Parameters:
    ///   - id: use `event.followUpID(n, plugin: Self.name)` (the n-th follow-up of `event`) so a re-sent follow-up keeps its id.
    public init(id: String, type: String, occurredAt: Date, source: String, subject: String?, payload: Payload) {
        eventId = id
        eventType = type
        self.occurredAt = RFC3339.string(occurredAt)
        self.source = source
        self.subject = subject
        self.payload = payload
    }

    /// The envelope as JSON bytes (keys sorted, so equal events are equal bytes).
    public func encoded() throws -> [UInt8] {
        Array(try sortedEncoder.encode(self))
    }
}

extension Event {
    /// A deterministic id for this event's `index`-th follow-up from `plugin`:
    /// the same source event always yields the same ids, so a follow-up sent
    /// again after a crash is recognised downstream as a duplicate.
    /// Format: `fu-` and 32 hex digits (two FNV-1a 64-bit hashes). C plugins
    /// get the same id from `dte_follow_up_id` (devtrip_eventd_event.h).
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
