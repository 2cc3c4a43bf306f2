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

    /// A document with a member of every kind plugins write: nested types, optionals, collections, enums.
    struct Sample: Codable, Equatable {
        var text: String
        var count: Int
        var small: Int8
        var big: UInt64
        var ratio: Double
        var flag: Bool
        var note: String?
        var kind: Kind
        var list: [String]
        var map: [String: Int]
        var nested: [String: [String: String]]
        var children: [Child]
        var optionalList: [Int?]
    }

    struct Child: Codable, Equatable {
        var id: String
        var score: Double?
        var tags: Set<String>
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
        Self.texts.enumerated().map { index, text in
            let count = Self.ints[index % Self.ints.count]
            return Sample(text: text, count: count, small: Int8(truncatingIfNeeded: count), big: UInt64.max - UInt64(index),
                          ratio: Self.doubles[index % Self.doubles.count], flag: index % 2 == 0,
                          note: index % 3 == 0 ? nil : text, kind: index % 2 == 0 ? .first : .second,
                          list: index % 4 == 0 ? [] : Array(Self.texts.prefix(index)),
                          map: index % 5 == 0 ? [:] : ["b": 1, "B": 2, "a": count, "aa": -3, "ü": 4, "a/": 5, text: 6],
                          nested: ["z": ["k": text], "y": [:], text: ["\u{1}": "x"]],
                          children: (0..<index % 4).map { Child(id: "c\($0)\(text)", score: $0 == 1 ? nil : Double($0) / 3, tags: ["x", text]) },
                          optionalList: [1, nil, -2])
        }
    }

    @Test func writesWhatFoundationWrites() throws {
        for sample in Self.samples {
            let direct = try SortedJSONEncoder().encode(sample)
            let oracle = Array(try Self.foundation.encode(sample))
            #expect(direct == oracle, "\(String(decoding: direct, as: UTF8.self)) vs \(String(decoding: oracle, as: UTF8.self))")
            #expect(try JSONDecoder().decode(Sample.self, from: Data(direct)) == sample)
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

    @Test func refusesWhatJSONCannotHoldAsFoundationDoes() {
        for bad in [Double.infinity, -.infinity, .nan] {
            #expect(throws: EncodingError.self) { try SortedJSONEncoder().encode(["x": bad]) }
            #expect(throws: EncodingError.self) { try Self.foundation.encode(["x": bad]) }
        }
    }
}
