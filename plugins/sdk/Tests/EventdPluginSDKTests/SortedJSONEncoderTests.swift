// The SDK's SortedJSONEncoder against Foundation's JSONEncoder (sorted keys,
// unescaped slashes: the SDK's encoders) as the oracle: the same bytes for every value.
import EventdPluginSDK
import Foundation
import Testing

@Suite struct SortedJSONEncoderTests {
    static let foundation: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    enum Kind: String, Codable { case first, second = "2nd" }

    struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init(stringValue: String) { self.init(stringValue) }
        init?(intValue: Int) { nil }
    }

    /// A value that writes a member of every kind an `encode(to:)` can, from one text and one number:
    /// every scalar type, nil, nested keyed and unkeyed containers, a super encoder, a key written twice.
    struct Sample: Encodable {
        let text: String
        let number: Int

        func encode(to encoder: any Encoder) throws {
            var object = encoder.container(keyedBy: Key.self)
            try object.encode(number, forKey: Key(text))
            try object.encode(Int8(truncatingIfNeeded: number), forKey: Key("int8"))
            try object.encode(UInt64(bitPattern: Int64(number)), forKey: Key("uint64"))
            try object.encode(Int32(truncatingIfNeeded: number), forKey: Key("B"))
            try object.encode(Double(number) / 7, forKey: Key("double"))
            try object.encode(Float(number % 1000) / 3, forKey: Key("float"))
            try object.encode(number % 2 == 0, forKey: Key("flag"))
            try object.encodeNil(forKey: Key("nil"))
            try object.encodeIfPresent(number % 3 == 0 ? nil : text, forKey: Key("maybe"))
            try object.encode(number % 2 == 0 ? Kind.first : .second, forKey: Key("kind"))
            try object.encode(["b": 1, "B": 2, "a/": -3, "ü": 4, text: number], forKey: Key("map"))
            try object.encode([[text: [text]], [:]], forKey: Key("nestedMaps"))
            try object.encode([1, nil, -2] as [Int?], forKey: Key("optionals"))
            var nested = object.nestedContainer(keyedBy: Key.self, forKey: Key("nested"))
            var list = object.nestedUnkeyedContainer(forKey: Key("unkeyed"))
            try list.encode(text)
            try nested.encode(text, forKey: Key("z"))   // after the parent went on: containers fill in any order
            try list.encodeNil()
            try list.encode(UInt8(truncatingIfNeeded: number))
            var inner = list.nestedContainer(keyedBy: Key.self)
            try inner.encode(true, forKey: Key("in"))
            try nested.encode(number, forKey: Key("a"))
            try object.encode(text, forKey: Key("twice"))
            try object.encode(number, forKey: Key("twice"))
            var single = object.superEncoder(forKey: Key("super")).singleValueContainer()
            try single.encode(text)
        }
    }

    /// Strings with every escape JSON has, slashes, non-ASCII and a character after U+FFFF.
    static let texts: [String] = [
        "", "plain", "a/b", "quote \" and \\ backslash", "é ü 한국어 😀", "\u{7f}\u{2028}\u{2029}",
        String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self),
        "tab\there\nnew line\r\u{8}\u{c}", "\"", "\\", "ends with \\", "e\u{301}",
    ]

    static let ints = [0, 1, -1, 9, 10, -10, 1234567890, Int.max, Int.min, Int.max - 1, Int.min + 1]
    static let doubles = [0.0, -0.0, 1.0, -1.5, 0.1, 1e-7, 123456789.125, 1e16, 1e21, 2.5e-300, .pi, Double.greatestFiniteMagnitude]

    static var samples: [Sample] {
        Self.texts.enumerated().flatMap { index, text in
            Self.ints.map { Sample(text: text, number: $0 &+ index) }
        }
    }

    @Test func writesWhatFoundationWrites() throws {
        for sample in Self.samples {
            let direct = try SortedJSONEncoder().encode(sample)
            let oracle = Array(try Self.foundation.encode(sample))
            #expect(String(decoding: direct, as: UTF8.self) == String(decoding: oracle, as: UTF8.self))
            #expect(direct == oracle)
        }
    }

    /// A struct with optional members arrives in a few key sequences, a dictionary in many: the
    /// remembered orders (`KeyOrders`) must give each its own, whatever came before.
    struct Account: Codable {
        var status: String
        var starts = 0
        var startedAt: String?
        var settledAt: String?
        var bestScore: Int?
        var zeta = false
    }

    @Test func remembersOrdersPerKeySequenceAndNeverMixesThem() throws {
        for round in 0..<60 {
            let account = Account(status: "s\(round)", starts: round, startedAt: round % 2 == 0 ? "a" : nil,
                                  settledAt: round % 3 == 0 ? "b" : nil, bestScore: round % 5 == 0 ? round : nil, zeta: round % 7 == 0)
            let book = Dictionary(uniqueKeysWithValues: (0..<(round % 9)).map { ("m-\((round * 31 + $0 * 17) % 97)", account) })
            let wallet = ["missions": book, "first": ["only": account]]
            #expect(try SortedJSONEncoder().encode(wallet) == Array(Self.foundation.encode(wallet)), "round \(round)")
        }
    }

    /// Writes its members itself: in order (the fast path) or, by mistake, not (the encoder then
    /// takes `encode(to:)`): the bytes are Foundation's either way.
    /// Nested in `Direct`: alone, optional and as a map's values (the typed overloads).
    struct Leaf: JSONObjectEncodable, Encodable {
        var a: Int
        var b: String?

        func encodeJSON(into object: inout JSONObject) throws {
            object.add("a", a)
            object.add("b", b)
        }
    }

    struct Direct: JSONObjectEncodable {
        var leaf = Leaf(a: 1, b: nil)
        var leaves: [String: Leaf] = [:]
        var name: String
        var count: Int
        var note: String?
        var inner: Account?
        var book: [String: Account] = [:]
        var tags: [String] = []
        var misordered = false

        func encodeJSON(into object: inout JSONObject) throws {
            try object.add("book", book)
            object.add("count", count)
            try object.add("inner", inner)
            try object.add("leaf", leaf)
            try object.add("leaves", leaves)
            if misordered { object.add("zz", name) }
            object.add("name", name)
            object.add("note", note)
            object.add("tags", tags)
        }

        enum CodingKeys: String, CodingKey { case name, count, note, inner, book, tags, leaf, leaves }
    }

    @Test func aJSONObjectEncodableWritesFoundationsBytesInOrderOrNot() throws {
        for (index, text) in Self.texts.enumerated() {
            let inner = index % 2 == 0 ? Account(status: text, startedAt: index % 3 == 0 ? nil : text) : nil
            for misordered in [false, true] {
                let book = Dictionary(uniqueKeysWithValues: Self.texts.prefix(index).enumerated().map { ("\($1)\($0)", Account(status: $1)) })
                let leaves = Dictionary(uniqueKeysWithValues: Self.texts.prefix(index).enumerated().map { ("\($1)", Leaf(a: $0, b: index % 2 == 0 ? $1 : nil)) })
                let value = Direct(leaf: Leaf(a: index, b: text), leaves: leaves, name: text, count: Self.ints[index % Self.ints.count], note: index % 3 == 0 ? nil : text,
                                   inner: inner, book: book, tags: Array(Self.texts.prefix(index % 5)), misordered: misordered)
                #expect(try JSONObject.writesInOrder(value) == !misordered)
                #expect(try SortedJSONEncoder().encode(value) == Array(Self.foundation.encode(value)), "\(text)")
                #expect(try SortedJSONEncoder().encode(["list": [value, value]]) == Array(Self.foundation.encode(["list": [value, value]])))
            }
        }
    }

    @Test func writesTopLevelValuesAndDatesAsFoundationDoes() throws {
        for value in Self.ints { #expect(try SortedJSONEncoder().encode(value) == Array(Self.foundation.encode(value))) }
        for value in Self.doubles { #expect(try SortedJSONEncoder().encode(value) == Array(Self.foundation.encode(value)), "\(value)") }
        for text in Self.texts { #expect(try SortedJSONEncoder().encode(text) == Array(Self.foundation.encode(text))) }
        #expect(try SortedJSONEncoder().encode([String]()) == Array("[]".utf8))
        #expect(try SortedJSONEncoder().encode([String: String]()) == Array("{}".utf8))
        let date = Date(timeIntervalSince1970: 1_764_000_000.25)
        #expect(try SortedJSONEncoder().encode(["at": date]) == Array(Self.foundation.encode(["at": date])))
        #expect(try SortedJSONEncoder(date: { RFC3339.string($0) }).encode(["at": date]) == Array(#"{"at":"2025-11-24T16:00:00.250Z"}"#.utf8))
        #expect(try SortedJSONEncoder().encode(["d": Data([0, 1, 255])]) == Array(Self.foundation.encode(["d": Data([0, 1, 255])])))
    }

    @Test func aDecimalIsWrittenByFoundationsEncoder() throws {
        let value = ["price": Decimal(string: "12.3400")!, "tiny": Decimal(string: "-0.000001")!]
        #expect(try SortedJSONEncoder().encode(["b": value, "a": [:]]) == Array(Self.foundation.encode(["b": value, "a": [:]])))
    }

    @Test func refusesWhatJSONCannotHoldAsFoundationDoes() {
        for bad in [Double.infinity, -.infinity, .nan] {
            #expect(throws: EncodingError.self) { try SortedJSONEncoder().encode(["x": bad]) }
            #expect(throws: EncodingError.self) { try Self.foundation.encode(["x": bad]) }
        }
    }
}
