// Strict decoding of a service plugin's incoming event, and the RFC 3339 times
// the service plugins keep in state.
import EventdCatalog
import EventdPluginSDK
import Foundation

/// A decoded, validated event and what a handler needs to act on it.
public struct Incoming<Payload: UserPayload> {
    /// The routed event, its id filled from the envelope when the host had none.
    public let event: Event
    public let envelope: EventEnvelope<Payload>
    public var payload: Payload { envelope.payload }
    public var userId: String { envelope.payload.userId }
    public var at: Date { envelope.occurredAt }
    public var eventId: String { envelope.eventId }

    /// Decodes strictly, then validates by `rules`: the user id must be
    /// present and agree with the envelope's `subject` when there is one.
    /// - Throws: `EventDecodingError` or `Rejection`, both permanent.
    public init(_ event: Event, as type: Payload.Type = Payload.self, rules: PayloadRules = .keySafe) throws {
        envelope = try EventEnvelope<Payload>(event)
        try rules.id(envelope.payload.userId, "userId")
        if let subject = envelope.subject, subject != envelope.payload.userId {
            throw rules.subjectMismatch(subject: subject, userId: envelope.payload.userId)
        }
        try envelope.payload.validate(rules)
        var routed = event
        if routed.id.isEmpty { routed.id = envelope.eventId }
        self.event = routed
    }
}

/// RFC 3339 timestamps with milliseconds, the form `OutgoingEvent` writes
/// (the SDK's `RFC3339`, no Foundation formatter per call).
public enum Timestamp {
    public static func string(_ date: Date) -> String { RFC3339.string(date) }

    public static func date(_ text: String) -> Date? { RFC3339.date(text) }

    /// The UTC calendar day, `yyyy-MM-dd`.
    public static func utcDay(_ date: Date) -> String { RFC3339.day(RFC3339.dayNumber(of: date)) }

    /// Whole seconds from `start` to `end`, never negative.
    public static func seconds(from start: Date, to end: Date) -> Int {
        max(0, Int(end.timeIntervalSince(start).rounded(.down)))
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
