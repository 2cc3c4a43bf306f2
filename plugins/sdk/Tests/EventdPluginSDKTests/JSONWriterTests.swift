// The SDK's JSON writer against Foundation's JSONEncoder (sorted keys, unescaped
// slashes: the SDK's encoders) as the oracle: the same bytes for every value.
import EventdPluginSDK
import Foundation
import Testing

@Suite struct JSONWriterTests {
    static let foundation: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// A document with a member of every kind the writer writes, written both ways.
    struct Sample: Encodable, JSONValue {
        var text: String
        var count: Int
        var flag: Bool
        var note: String?
        var list: [String]
        var map: [String: Int]
        var nested: [String: [String: String]]

        func writeJSON(_ out: inout JSONWriter) {
            out.object { out in
                out.field("count", count)
                out.field("flag", flag)
                out.field("list", list)
                out.field("map", map)
                out.field("nested", nested)
                out.field("note", note)
                out.field("text", text)
            }
        }
    }

    /// Strings with every escape JSON has, slashes, non-ASCII and a character after U+FFFF.
    static let texts: [String] = [
        "", "plain", "a/b", "quote \" and \\ backslash", "é ü 한국어 😀", "\u{7f}\u{2028}\u{2029}",
        String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self),
        "tab\there\nnew line\r\u{8}\u{c}", "\"", "\\", "ends with \\",
    ]

    static let ints = [0, 1, -1, 9, 10, -10, 1234567890, Int.max, Int.min, Int.max - 1, Int.min + 1]

    @Test func writesWhatFoundationWrites() throws {
        var samples: [Sample] = []
        for (index, text) in Self.texts.enumerated() {
            let count = Self.ints[index % Self.ints.count]
            samples.append(Sample(text: text, count: count, flag: index % 2 == 0, note: index % 3 == 0 ? nil : text,
                                  list: index % 4 == 0 ? [] : Array(Self.texts.prefix(index)),
                                  map: index % 5 == 0 ? [:] : ["b": 1, "B": 2, "a": count, "aa": -3, "é": 4, "a/": 5, text: 6],
                                  nested: ["z": ["k": text], "y": [:], text: ["\u{1}": "x"]]))
        }
        for sample in samples {
            let direct = JSONWriter.encode(sample)
            let oracle = Array(try Self.foundation.encode(sample))
            #expect(direct == oracle, "\(String(decoding: direct, as: UTF8.self)) vs \(String(decoding: oracle, as: UTF8.self))")
        }
    }

    @Test func writesTopLevelValues() throws {
        for value in Self.ints { #expect(JSONWriter.encode(value) == Array(try Self.foundation.encode(value))) }
        for text in Self.texts { #expect(JSONWriter.encode(text) == Array(try Self.foundation.encode(text))) }
        #expect(JSONWriter.encode([String]()) == Array("[]".utf8))
        #expect(JSONWriter.encode([String: String]()) == Array("{}".utf8))
        #expect(JSONWriter.encode([true, false]) == Array(try Self.foundation.encode([true, false])))
    }
}
