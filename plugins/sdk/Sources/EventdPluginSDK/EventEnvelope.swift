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
        let trace = event.headerString(LineageField.traceparentHeader)
        guard let type = event.headerString("ce_type") else {
            // One pass: the payload decodes in place as `Payload` (its errors name `payload.<field>`).
            self = try Self.decode(JSONForm.self, from: value, prefix: "").envelope
            traceparent = trace
            return
        }
        guard let id = event.headerString("ce_id"), !id.isEmpty else { throw EventDecodingError("CloudEvents record without ce_id") }
        guard let time = event.headerString("ce_time") else { throw EventDecodingError("CloudEvents record without ce_time") }
        self.init(id: id, type: type, at: try Self.timestamp(time, field: "ce_time"),
                  source: event.headerString("ce_source"), subject: event.headerString("ce_subject"),
                  payload: try Self.decode(Payload.self, from: value, prefix: ""),
                  causation: event.headerString(LineageField.causationHeader),
                  correlation: event.headerString(LineageField.correlationHeader), trace: trace)
    }

    private init(id: String, type: String, at: Date, source: String?, subject: String?, payload: Payload,
                 causation: String?, correlation: String?, trace: String?) {
        (eventId, eventType, occurredAt, self.source, self.subject, self.payload) = (id, type, at, source, subject, payload)
        (causationId, correlationId, traceparent) = (causation, correlation, trace)
    }

    /// The JSON envelope, checked in field order: the envelope's own fields
    /// first, then the payload.
    private struct JSONForm: Decodable {
        let envelope: EventEnvelope

        enum CodingKeys: String, CodingKey { case eventId, eventType, occurredAt, source, subject, causationId, correlationId, payload }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func text(_ key: CodingKeys) throws -> String? { try c.decodeIfPresent(String.self, forKey: key) }
            let id = try c.decode(String.self, forKey: .eventId)
            guard !id.isEmpty else { throw EventDecodingError("field 'eventId' must not be empty") }
            let type = try c.decode(String.self, forKey: .eventType)
            let time = try EventEnvelope.timestamp(try c.decode(String.self, forKey: .occurredAt), field: "occurredAt")
            let (source, subject, causation, correlation) = (try text(.source), try text(.subject), try text(.causationId), try text(.correlationId))
            envelope = EventEnvelope(id: id, type: type, at: time, source: source, subject: subject,
                                     payload: try c.decode(Payload.self, forKey: .payload),
                                     causation: causation, correlation: correlation, trace: nil)
        }
    }

    static func timestamp(_ text: String, field: String) throws -> Date {
        guard let date = RFC3339.date(text) else {
            throw EventDecodingError("field '\(field)' must be an RFC 3339 timestamp, got '\(text)'")
        }
        return date
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], prefix: String) throws -> T {
        // Plain JSON first; anything it does not take (or an error) is Foundation's to decode.
        if let value = bytes.withUnsafeBytes({ PlainJSON.decode(T.self, from: $0) }) { return value }
        do {
            return try sharedDecoder.decode(T.self, from: Data(bytes))
        } catch {
            // Errors the envelope's own checks throw pass through as they are.
            throw (error as? DecodingError).map { EventDecodingError(describe($0, prefix: prefix)) }
                ?? error as? EventDecodingError ?? EventDecodingError("\(error)")
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

/// Set up once: a JSONDecoder is safe to share between threads, and its setup showed in the profile.
let sharedDecoder = JSONDecoder()

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

    /// The envelope as JSON bytes (keys sorted, so equal events are equal bytes): what Foundation's
    /// JSONEncoder writes with sorted keys and unescaped slashes (`SortedJSONEncoder`).
    public func encoded() throws -> [UInt8] {
        try SortedJSONEncoder().encode(self)
    }
}

/// The envelope's members written directly, in key order (every follow-up goes through here).
extension OutgoingEvent: JSONObjectEncodable {
    public func encodeJSON(into object: inout JSONObject) throws {
        object.add(["causationId": .string(causationId), "correlationId": .string(correlationId), "eventId": .string(eventId),
                    "eventType": .string(eventType), "occurredAt": .string(occurredAt)])
        try object.add("payload", payload)
        object.add(["source": .string(source), "subject": .string(subject)])
    }
}

extension Event {
    /// A deterministic id for this event's `index`-th follow-up from `plugin`:
    /// the same source event always yields the same ids, so a follow-up sent
    /// again after a crash is recognised downstream as a duplicate.
    /// Format: `fu-` and 32 hex digits (two FNV-1a 64-bit hashes). C plugins
    /// get the same id from `dte_follow_up_id` (devtrip_eventd_event.h).
    public func followUpID(_ index: Int, plugin: String) -> String { Self.followUpID(of: id, index, plugin: plugin) }

    /// `followUpID` of an event with id `id`.
    static func followUpID(of id: String, _ index: Int, plugin: String) -> String {
        var material: [UInt8] = []
        material.reserveCapacity(id.utf8.count + plugin.utf8.count + 22)
        material.append(contentsOf: id.utf8)
        material.append(0)
        material.append(contentsOf: plugin.utf8)
        material.append(0)
        material.append(contentsOf: String(index).utf8)
        func fnv(_ seed: UInt64) -> UInt64 {
            var h = seed
            for b in material { h = (h ^ UInt64(b)) &* 0x100000001b3 }
            return h
        }
        let a = fnv(0xcbf29ce484222325), b = fnv(0x84222325cbf29ce4 ^ 0x9e3779b97f4a7c15)
        return String(unsafeUninitializedCapacity: 35) { text in
            (text[0], text[1], text[2]) = (UInt8(ascii: "f"), UInt8(ascii: "u"), UInt8(ascii: "-"))
            for (half, value) in [a, b].enumerated() {
                for digit in 0..<16 {
                    text[3 + half * 16 + digit] = JSONWriter.hex[Int(truncatingIfNeeded: (value >> UInt64(60 - 4 * digit)) & 0xF)]
                }
            }
            return 35
        }
    }
}
