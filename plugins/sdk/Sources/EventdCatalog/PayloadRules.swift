// The checks a catalog payload gets beyond what the decoder enforces, and the
// two rule sets the service plugins decode with.
import Foundation

/// A permanent problem with an event (bad value in an otherwise well-formed
/// payload): the handler rejects it with this message.
public struct Rejection: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Field checks; the messages name the field the way the SDK's decoding errors do.
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

/// How strictly a plugin checks the ids of a payload, and how it words a
/// subject that is not the payload's user. The two sets differ on purpose and
/// each plugin's tests pin its wording.
public struct PayloadRules: Sendable {
    /// Whether `userId` and `missionId` must also be free of '/' (they become
    /// part of state keys), or only non-empty.
    public let keySafeIds: Bool
    private let subjectMismatch: @Sendable (_ subject: String, _ userId: String) -> String

    /// auth, user: ids key-safe; "envelope subject 'x' does not match payload.userId 'y'".
    public static let keySafe = PayloadRules(keySafeIds: true) {
        "envelope subject '\($0)' does not match payload.userId '\($1)'"
    }

    /// mission, payment: ids non-empty; "subject 'x' is not payload.userId 'y'".
    public static let nonEmptyIds = PayloadRules(keySafeIds: false) { "subject '\($0)' is not payload.userId '\($1)'" }

    public init(keySafeIds: Bool, subjectMismatch: @escaping @Sendable (_ subject: String, _ userId: String) -> String) {
        self.keySafeIds = keySafeIds
        self.subjectMismatch = subjectMismatch
    }

    /// Checks an id field by this rule set.
    public func id(_ value: String, _ field: String) throws {
        if keySafeIds { try Check.keySafe(value, field) } else { try Check.nonEmpty(value, field) }
    }

    /// The rejection of an envelope whose `subject` names another user.
    public func subjectMismatch(subject: String, userId: String) -> Rejection {
        Rejection(subjectMismatch(subject, userId))
    }
}

/// A consumed payload that names the user it is about.
public protocol UserPayload: Decodable {
    var userId: String { get }
    /// Checks values the decoder cannot (empty ids, ranges, plan names).
    func validate(_ rules: PayloadRules) throws
}

extension UserPayload {
    public func validate(_ rules: PayloadRules) throws {}
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

/// An integer field that reports a fractional or out-of-range number as
/// "must be an integer" at its own path (Foundation on Linux reports it as
/// invalid JSON with no path).
@propertyWrapper
public struct Integer: Codable, Equatable, Sendable {
    public var wrappedValue: Int

    public init(wrappedValue: Int) { self.wrappedValue = wrappedValue }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            throw DecodingError.valueNotFound(Int.self, .init(codingPath: decoder.codingPath, debugDescription: "null"))
        }
        guard let value = try? container.decode(Int.self) else {
            throw DecodingError.typeMismatch(Int.self, .init(codingPath: decoder.codingPath, debugDescription: "not an integer"))
        }
        wrappedValue = value
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue)
    }
}
