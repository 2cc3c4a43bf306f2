// JSON documents in the host's key-value store, in the two error styles the
// service plugins use: `Store` throws (auth, user), `StateDocuments` throws a
// `HandlingFailure` with its own wording (mission, payment, ai-evaluation).
import EventdCatalog
import EventdPluginSDK
import Foundation

/// A stored document that no longer decodes: permanent, so a reject.
public struct StateError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// The plugin's key-value store holding JSON documents.
public struct Store {
    public let host: PluginHost

    public init(host: PluginHost) { self.host = host }

    /// Sorted keys, unescaped slashes, dates as RFC 3339 with milliseconds.
    /// One of each, set up once and shared (safe once configured): use them, never change their options.
    public static func encoder() -> JSONEncoder { sharedEncoder }

    public static func decoder() -> JSONDecoder { sharedDecoder }

    private static let sharedEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.string(date))
        }
        return encoder
    }()

    private static let sharedDecoder: JSONDecoder = {
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
    }()

    /// The document at `key`, `nil` when absent.
    /// - Throws: `HostError` (transient) or `StateError` when it does not decode.
    public func load<T: Decodable>(_ type: T.Type, _ key: String) throws -> T? {
        guard let bytes = try host.state(key) else { return nil }
        do {
            return try Self.decode(T.self, key, bytes)
        } catch {
            throw StateError(description: "stored document '\(key)' does not decode as \(T.self): \(error)")
        }
    }

    /// `value` as the shared encoder writes it (the same bytes), by the SDK's faster `SortedJSONEncoder`.
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        try fastEncoder.encode(value)
    }

    private static let fastEncoder = SortedJSONEncoder(date: { Timestamp.string($0) })

    public func save<T: Encodable>(_ key: String, _ value: T) throws {
        let bytes = try Self.encode(value)
        try host.setState(key, bytes)
        DocumentCache.shared.remember(value, key, bytes: bytes)
    }

    /// `bytes` as a `T`, from the document cache when they are the bytes last seen at `key`.
    static func decode<T: Decodable>(_ type: T.Type, _ key: String, _ bytes: [UInt8]) throws -> T {
        try DocumentCache.shared.document(T.self, key, bytes: bytes) { try decoder().decode(T.self, from: Data($0)) }
    }

    public func delete(_ key: String) throws { try host.deleteState(key) }
}

/// Reads and writes `Codable` documents through the host, failing with a
/// `HandlingFailure`.
public struct StateDocuments {
    public let host: PluginHost

    public init(host: PluginHost) { self.host = host }

    /// - Throws: `.retry` when the host fails, `.reject` when the stored document is corrupt
    ///   (retrying could not fix it; the dead-lettered event can be replayed once it is repaired).
    public func load<Document: Decodable>(_ type: Document.Type, _ key: String) throws(HandlingFailure) -> Document? {
        let bytes: [UInt8]?
        do {
            bytes = try host.state(key)
        } catch {
            throw .retry("reading state '\(key)' failed: \(error)")
        }
        guard let bytes else { return nil }
        do {
            return try Store.decode(Document.self, key, bytes)
        } catch {
            throw .reject("state '\(key)' is not a valid \(Document.self) document: \(error)")
        }
    }

    /// Writes `document` as JSON with sorted keys.
    public func save<Document: Encodable>(_ document: Document, _ key: String) throws(HandlingFailure) {
        do {
            let bytes = try Store.encode(document)
            try host.setState(key, bytes)
            DocumentCache.shared.remember(document, key, bytes: bytes)
        } catch {
            throw .retry("writing state '\(key)' failed: \(error)")
        }
    }
}

/// One failed subscription renewal, as the auth and user plugins keep it in
/// their documents.
public struct PaymentFailure: Codable, Equatable, Sendable {
    public var at: Date
    public var subscriptionId: String
    public var plan: Plan
    public var amount: Int
    public var reason: String

    public init(at: Date, subscriptionId: String, plan: Plan, amount: Int, reason: String) {
        (self.at, self.subscriptionId, self.plan, self.amount, self.reason) = (at, subscriptionId, plan, amount, reason)
    }
}
