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

    @Test func errorSaysWhere() {
        let bytes = Array(#"{"eventType":"x",}"#.utf8)
        let error = #expect(throws: EnvelopeError.self) { try bytes.withUnsafeBytes { try EnvelopeScanner.scan($0) } }
        #expect(error?.offset == 17)
        #expect(error?.description.contains("byte 17") == true)
    }
}
