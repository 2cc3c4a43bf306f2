// The decoded-document cache: a hit only on the very bytes it was given.
@testable import EventdServiceKit
import Foundation
import Testing

@Suite struct DocumentCacheTests {
    struct Doc: Codable, Equatable { var n: Int }
    final class Box: Codable { var n = 0 }

    /// Decodes JSON, counting the decodes.
    final class Counter: @unchecked Sendable {
        var decodes = 0
        func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
            decodes += 1
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        }
    }

    @Test func hitsOnlyOnTheSameBytes() throws {
        let cache = DocumentCache(budget: 1 << 20), counter = Counter()
        let one = Array(#"{"n":1}"#.utf8), two = Array(#"{"n":2}"#.utf8)
        cache.remember(Doc(n: 1), "k", bytes: one)
        #expect(try cache.document(Doc.self, "k", bytes: one) { try counter.decode(Doc.self, $0) } == Doc(n: 1))
        #expect(counter.decodes == 0)
        // Other bytes at the key (a rolled-back write, another daemon's write): decoded afresh, then cached.
        #expect(try cache.document(Doc.self, "k", bytes: two) { try counter.decode(Doc.self, $0) } == Doc(n: 2))
        #expect(try cache.document(Doc.self, "k", bytes: two) { try counter.decode(Doc.self, $0) } == Doc(n: 2))
        #expect(counter.decodes == 1)
        // Another key, or another type at the same key, never shares an entry.
        #expect(try cache.document(Doc.self, "other", bytes: two) { try counter.decode(Doc.self, $0) } == Doc(n: 2))
        #expect(counter.decodes == 2)
    }

    @Test func corruptBytesStillFail() {
        let cache = DocumentCache(budget: 1 << 20), counter = Counter()
        cache.remember(Doc(n: 1), "k", bytes: Array(#"{"n":1}"#.utf8))
        #expect(throws: DecodingError.self) {
            try cache.document(Doc.self, "k", bytes: Array(#"{"n":"x"}"#.utf8)) { try counter.decode(Doc.self, $0) }
        }
    }

    @Test func classesAreNeverCachedAndTheBudgetHolds() throws {
        let cache = DocumentCache(budget: 64), counter = Counter()
        let bytes = Array(#"{"n":3}"#.utf8)
        cache.remember(Box(), "k", bytes: bytes)
        _ = try cache.document(Box.self, "k", bytes: bytes) { try counter.decode(Box.self, $0) }
        #expect(counter.decodes == 1 && cache.count == 0)
        for i in 0..<100 { cache.remember(Doc(n: i), "k\(i)", bytes: bytes) }
        #expect(cache.count <= 64 / bytes.count)
    }
}
