// Strict decoding of an incoming user event, with the checks every payload shares.
import EventdPluginSDK
import Foundation

/// A payload that belongs to one user.
protocol UserPayload: Decodable {
    var userId: String { get }
    /// A precise message when a decoded field breaks a rule of its own, else `nil`.
    func violation() -> String?
}

extension UserPayload {
    func violation() -> String? { nil }
}

/// An event decoded as `Payload`, plus what follow-ups need from it.
struct UserEvent<Payload: UserPayload> {
    let envelope: EventEnvelope<Payload>
    /// The routed event, with its id filled from the envelope when the host had none.
    let event: Event

    var payload: Payload { envelope.payload }
    var userId: String { envelope.payload.userId }
    var id: String { envelope.eventId }
    var occurredAt: Date { envelope.occurredAt }

    /// - Throws: `.reject` naming the event and the missing, mistyped or invalid field.
    init(_ event: Event) throws(HandlingFailure) {
        do {
            envelope = try EventEnvelope<Payload>(event)
        } catch {
            throw .reject("\(event.name): \(error)")
        }
        let payload = envelope.payload
        guard !payload.userId.isEmpty else { throw .reject("\(event.name): field 'payload.userId' must not be empty") }
        if let subject = envelope.subject, subject != payload.userId {
            throw .reject("\(event.name): subject '\(subject)' is not payload.userId '\(payload.userId)'")
        }
        if let violation = payload.violation() { throw .reject("\(event.name): \(violation)") }
        var routed = event
        if routed.id.isEmpty { routed.id = envelope.eventId }
        self.event = routed
    }
}

/// Rules shared by the payload types.
enum FieldRule {
    static func nonEmpty(_ fields: KeyValuePairs<String, String>) -> String? {
        for (name, value) in fields where value.isEmpty { return "field 'payload.\(name)' must not be empty" }
        return nil
    }
}

/// RFC 3339 text of the times kept in state and sent in follow-ups.
enum Timestamp {
    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

/// An integer field that reports a fractional or out-of-range number as
/// "must be an integer" at its own path (Foundation on Linux reports it as
/// invalid JSON with no path).
@propertyWrapper
struct Integer: Decodable, Equatable {
    var wrappedValue: Int

    init(wrappedValue: Int) { self.wrappedValue = wrappedValue }

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            throw DecodingError.valueNotFound(Int.self, .init(codingPath: decoder.codingPath, debugDescription: "null"))
        }
        guard let value = try? container.decode(Int.self) else {
            throw DecodingError.typeMismatch(Int.self, .init(codingPath: decoder.codingPath, debugDescription: "not an integer"))
        }
        wrappedValue = value
    }
}
