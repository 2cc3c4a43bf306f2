import EventdRouting
import Testing

@Suite struct EnvelopeScannerTests {
    func scan(_ text: String) throws -> (EnvelopeFields, [UInt8]) {
        let bytes = Array(text.utf8)
        let fields = try bytes.withUnsafeBytes { try EnvelopeScanner.scan($0) }
        return (fields, bytes)
    }

    func text(_ bytes: [UInt8], _ range: Range<Int>?) -> String? {
        guard let range else { return nil }
        return bytes.withUnsafeBytes { EnvelopeScanner.decode($0, range) }
    }

    @Test func findsTopLevelEnvelopeFieldsAndIgnoresNestedOnes() throws {
        let (f, b) = try scan(#"{"payload":{"eventType":"nested","list":[1,-2.5e3,true,null,{"eventId":"x"}]},"eventType":"mission.started","eventId":"e-1","occurredAt":"2026-11-24T10:00:00Z"}"#)
        #expect(text(b, f.eventType) == "mission.started")
        #expect(text(b, f.eventId) == "e-1")
        #expect(text(b, f.occurredAt) == "2026-11-24T10:00:00Z")
        #expect(!f.hasEscapes)
    }

    @Test func decodesEscapes() throws {
        let (f, b) = try scan(#"{ "eventId" : "a\"b\u00e9\ud83d\ude00" , "eventType":"t" }"#)
        #expect(f.hasEscapes)
        #expect(text(b, f.eventId) == "a\"bé😀")
    }

    @Test func missingFieldsAreNil() throws {
        let (f, _) = try scan(#"{"eventType": 42, "other": "x"}"#)
        #expect(f.eventType == nil && f.eventId == nil && f.occurredAt == nil)
    }

    @Test(arguments: [
        "", "[]", "\"s\"", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":tru}", "{\"a\":01}",
        "{\"a\":\"\u{01}\"}", "{\"a\":1} x", "{\"a\":\"\\q\"}", "{\"a\":[1,2}", "{\"a\":-}", "{\"a\":1.}",
    ])
    func rejectsMalformedJSON(_ input: String) {
        #expect(throws: EnvelopeError.self) { try scan(input) }
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        var bad = Array(#"{"eventId":""#.utf8)
        bad += [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(throws: EnvelopeError.self) { try bad.withUnsafeBytes { try EnvelopeScanner.scan($0) } }
        let deep = "{\"a\":" + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}"
        #expect(throws: EnvelopeError.self) { try scan(deep) }
    }

    /// Found by the FuzzEnvelopeScanner target: the scanner took any lead byte's
    /// length on trust, so overlong forms, surrogates and code points past
    /// U+10FFFF passed inside strings. Decoded, such an id reads as U+FFFD, so
    /// two different ids became one (and the second a "repeated id" dead letter).
    @Test(arguments: [
        [0xF0, 0x89, 0x98, 0x80],          // overlong four-byte form (the fuzzer's input)
        [0xC0, 0xAF], [0xE0, 0x80, 0xAF],  // overlong '/'
        [0xED, 0xA0, 0x80],                // surrogate U+D800
        [0xF4, 0x90, 0x80, 0x80],          // past U+10FFFF
        [0xF0, 0x9F, 0x98],                // cut short by the closing quote
    ] as [[UInt8]])
    func rejectsIllFormedUTF8InStrings(_ sequence: [UInt8]) {
        let bytes = Array(#"{"eventType":"user.registered","eventId":" "#.utf8) + sequence + Array(#"","occurredAt":"0:00z"}"#.utf8)
        let error = #expect(throws: EnvelopeError.self) { try bytes.withUnsafeBytes { try EnvelopeScanner.scan($0) } }
        #expect(error?.reason == "invalid UTF-8")
        #expect(error?.offset == 43)
        #expect(!bytes.withUnsafeBytes { EnvelopeScanner.isValidUTF8($0) }, "both checks agree")
    }

    @Test func acceptsWellFormedSequencesOfEveryLength() throws {
        let id = "é€😀\u{10FFFF}\u{FFFF}\u{E000}\u{D7FF}"
        let (fields, bytes) = try scan("{\"eventId\":\"\(id)\"}")
        #expect(text(bytes, fields.eventId) == id)
    }

    @Test func errorSaysWhere() {
        let bytes = Array(#"{"eventType":"x",}"#.utf8)
        let error = #expect(throws: EnvelopeError.self) { try bytes.withUnsafeBytes { try EnvelopeScanner.scan($0) } }
        #expect(error?.offset == 17)
        #expect(error?.description.contains("byte 17") == true)
    }

    @Test func membersThatAreNotStringsAreFlagged() throws {
        let (f, _) = try scan(#"{"eventId":7,"occurredAt":null,"eventType":"mission.started"}"#)
        #expect(f.eventId == nil && f.occurredAt == nil && f.eventType != nil)
        #expect(f.notStrings == [.eventId, .occurredAt])
        let (later, _) = try scan(#"{"eventId":7,"eventId":"e-1"}"#)
        #expect(later.notStrings.isEmpty && later.eventId != nil, "the last member wins, as for the ranges")
    }

    func isTimestamp(_ text: String) -> Bool {
        Array(text.utf8).withUnsafeBytes { EnvelopeScanner.isTimestamp($0) }
    }

    @Test(arguments: [
        "2026-11-24T10:00:00Z", "2026-11-24T10:00:00.123Z", "2026-11-24T10:00:00.123456789+05:30", "2026-11-24t10:00:00z",
        "2026-02-29T23:59:60-00:00", "0001-01-01T00:00:00Z", "2026-12-31T23:59:59.9+23:59",
    ])
    func acceptsRFC3339Timestamps(_ text: String) {
        #expect(isTimestamp(text))
    }

    @Test(arguments: [
        "", "x", "2024-13", "2026-11-24", "2026-11-24T10:00:00", "2026-11-24 10:00:00Z", "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-24T24:00:00Z", "2026-11-24T10:60:00Z", "2026-11-24T10:00:61Z",
        "2026-11-24T10:00:00.Z", "2026-11-24T10:00:00ZZ", "2026-11-24T10:00:00+0530", "2026-11-24T10:00:00+05:30:00",
        "2026-11-24T10:00:00+24:00", "2026/11/24T10:00:00Z", "20261124T100000Z", "2026-11-24T10:00:00.1", "1e3-11-24T10:00:00Z",
        "2026-11-24T10:00:00 Z", "1764000000",
    ])
    func rejectsWhatIsNotAnRFC3339Timestamp(_ text: String) {
        #expect(!isTimestamp(text))
    }

    func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { EnvelopeScanner.isValidUTF8($0) }
    }

    @Test func validatesUTF8() {
        #expect(isValidUTF8([]))
        #expect(isValidUTF8(Array("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".utf8)))
        #expect(isValidUTF8(Array("héllo wörld, ünïcode past eight bytes: 日本語 😀 \u{10FFFF}".utf8)))
        let invalid: [[UInt8]] = [
            [0xFF], [0x80], [0xC3], [0xC3, 0x28], [0xC0, 0xAF], [0xC1, 0xBF],  // stray, truncated, overlong 2-byte
            [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82],             // overlong 3-byte, surrogate, truncated
            [0xF0, 0x80, 0x80, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xF0, 0x9F, 0x98],
            Array("eight ascii bytes then".utf8) + [0xFF],                       // past the eight-byte fast path
            Array("a".utf8) + [0xE2, 0x28, 0xA1] + Array("tail of more ascii".utf8),
        ]
        for bytes in invalid { #expect(!isValidUTF8(bytes), "\(bytes)") }
    }
}
