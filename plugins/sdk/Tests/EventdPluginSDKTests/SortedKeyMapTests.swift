// SortedKeyMap against Dictionary as the oracle: the same lookups after any
// sequence of sets and removals, the same bytes from Foundation's encoder and
// the SDK's (its fast path, without a sort), and a stored dictionary reads back.
import EventdPluginSDK
import Foundation
import Testing

@Suite struct SortedKeyMapTests {
    /// Keys whose byte order differs from String's `<` and from their insertion order.
    static let keys = ["m-10", "m-2", "m-1", "é", "e", "Z", "z", "m-1/é", "", "\u{e1}", "😀", "m-100", "m-01"]

    @Test func keysAreEqualByTheirBytes() {
        var map: SortedKeyMap<Int> = ["\u{e1}": 1]
        map["a\u{301}"] = 2   // the same character for String's ==, other bytes
        #expect(map.count == 2 && map["\u{e1}"] == 1 && map["a\u{301}"] == 2)
        #expect(map.keys.map { Array($0.utf8) } == [[0x61, 0xcc, 0x81], [0xc3, 0xa1]])
    }

    struct Holder: JSONObjectEncodable, Codable, Equatable {
        var map: SortedKeyMap<Item> = [:]
        var name = "h"

        func encodeJSON(into object: inout JSONObject) throws {
            try object.add("map", map)
            object.add("name", name)
        }
    }

    struct Item: JSONObjectEncodable, Codable, Equatable {
        var n: Int
        func encodeJSON(into object: inout JSONObject) throws { object.add("n", n) }
    }

    @Test func keepsWhatADictionaryKeepsAndWritesItsBytes() throws {
        let foundation = JSONEncoder()
        foundation.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var generator = SystemRandomNumberGenerator()
        for round in 0..<200 {
            var map = SortedKeyMap<Item>(), oracle: [String: Item] = [:]
            for step in 0..<(round % 40) {
                let key = Self.keys.randomElement(using: &generator)!
                let value: Item? = step % 5 == 4 ? nil : Item(n: step)
                map[key] = value
                oracle[key] = value
            }
            #expect(map.count == oracle.count)
            for key in Self.keys { #expect(map[key] == oracle[key], "\(key)") }
            let holder = Holder(map: map)
            #expect(try JSONObject.writesInOrder(holder))
            let expected = try foundation.encode(DictionaryHolder(map: oracle))
            #expect(try SortedJSONEncoder().encode(holder) == Array(expected))
            #expect(try foundation.encode(holder) == expected)
            // A document written with a dictionary reads back as the map, equal to the one built here.
            #expect(try JSONDecoder().decode(Holder.self, from: expected) == holder)
        }
    }

    /// The same document with a dictionary: the oracle.
    struct DictionaryHolder: Encodable {
        var map: [String: Item]
        var name = "h"
    }
}
