// Decoded state documents kept beside the bytes they were decoded from. The
// payment plugin's profile: decoding the wallet document (Foundation's
// JSONDecoder, 5 KB, 20 missions) was a quarter of its CPU per event, and a
// partition's events for one user come to the same daemon one after another.
import Foundation

/// A bounded map from (document type, state key) to the last bytes seen and
/// the document they decode to. A lookup hits only when the stored bytes are
/// byte-for-byte the cached ones, so a rolled-back write, another daemon's
/// write or a repaired document is always decoded afresh: the cache can make
/// a load cheaper, never different.
final class DocumentCache: @unchecked Sendable {
    struct Key: Hashable {
        let type: ObjectIdentifier
        let key: String
    }

    private struct Entry {
        let bytes: [UInt8]
        let document: Any
    }

    static let shared = DocumentCache(budget: 8 << 20)

    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]
    private var bytes = 0
    private let budget: Int

    init(budget: Int) { self.budget = budget }

    /// The document cached for `bytes` at `key`, or `decode(bytes)` (then cached).
    /// Only value types are cached (a class instance handed out twice could be changed through the other copy).
    func document<T>(_ type: T.Type, _ key: String, bytes: [UInt8], decode: ([UInt8]) throws -> T) rethrows -> T {
        guard !(T.self is AnyClass) else { return try decode(bytes) }
        let k = Key(type: ObjectIdentifier(type), key: key)
        lock.lock()
        let hit = entries[k].flatMap { $0.bytes == bytes ? $0.document as? T : nil }
        lock.unlock()
        if let hit { return hit }
        let document = try decode(bytes)
        remember(document, key, bytes: bytes)
        return document
    }

    /// Records that `document` was just written at `key` as `bytes`.
    func remember<T>(_ document: T, _ key: String, bytes: [UInt8]) {
        guard !(T.self is AnyClass) else { return }
        let k = Key(type: ObjectIdentifier(T.self), key: key)
        lock.lock()
        defer { lock.unlock() }
        if let old = entries.removeValue(forKey: k) { self.bytes -= old.bytes.count }
        if self.bytes + bytes.count > budget {
            entries.removeAll(keepingCapacity: true)
            self.bytes = 0
        }
        guard bytes.count <= budget / 8 else { return }
        entries[k] = Entry(bytes: bytes, document: document)
        self.bytes += bytes.count
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return entries.count
    }
}
