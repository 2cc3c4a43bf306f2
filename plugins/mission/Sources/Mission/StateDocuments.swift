// JSON documents in the host's key-value store.
import EventdPluginSDK
import Foundation

/// Reads and writes `Codable` documents through the host.
struct StateDocuments {
    let host: PluginHost

    /// - Throws: `.retry` when the host fails, `.reject` when the stored document is corrupt
    ///   (retrying could not fix it; the dead-lettered event can be replayed once it is repaired).
    func load<Document: Decodable>(_ type: Document.Type, _ key: String) throws(HandlingFailure) -> Document? {
        let bytes: [UInt8]?
        do {
            bytes = try host.state(key)
        } catch {
            throw .retry("reading state '\(key)' failed: \(error)")
        }
        guard let bytes else { return nil }
        do {
            return try JSONDecoder().decode(Document.self, from: Data(bytes))
        } catch {
            throw .reject("state '\(key)' is not a valid \(Document.self) document: \(error)")
        }
    }

    /// Writes `document` as JSON with sorted keys.
    func save<Document: Encodable>(_ document: Document, _ key: String) throws(HandlingFailure) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            try host.setState(key, Array(try encoder.encode(document)))
        } catch {
            throw .retry("writing state '\(key)' failed: \(error)")
        }
    }
}
