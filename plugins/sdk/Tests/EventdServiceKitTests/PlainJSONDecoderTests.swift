// The envelope decoder's fast path (PlainJSON) against Foundation's JSONDecoder as the
// oracle: on every input, either it gives up (and Foundation decodes) or it decodes
// exactly what Foundation decodes. Inputs: catalog payloads and an envelope-shaped type,
// each mutated field by field (missing, null, mistyped, escaped, non-plain numbers,
// duplicates, bad bytes, bad syntax).
import EventdCatalog
@testable import EventdPluginSDK
import Foundation
import Testing

@Suite struct PlainJSONDecoderTests {
    /// Shaped like the SDK's envelope form: its own check (an empty id) and optional fields.
    struct Envelope: Decodable, Equatable {
        struct Empty: Error {}
        var eventId: String
        var eventType: String
        var source: String?
        var small: UInt8?
        var tags: [String]?
        var data: [String: String]?
        var payload: MissionStarted

        enum CodingKeys: String, CodingKey { case eventId, eventType, source, small, tags, data, payload }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            eventId = try c.decode(String.self, forKey: .eventId)
            guard !eventId.isEmpty else { throw Empty() }
            eventType = try c.decode(String.self, forKey: .eventType)
            source = try c.decodeIfPresent(String.self, forKey: .source)
            small = try c.decodeIfPresent(UInt8.self, forKey: .small)
            tags = try c.decodeIfPresent([String].self, forKey: .tags)
            data = try c.decodeIfPresent([String: String].self, forKey: .data)
            payload = try c.decode(MissionStarted.self, forKey: .payload)
        }
    }

    static let base = #"{"eventId":"e-1","eventType":"mission.started","source":"s","small":7,"tags":["a","b"],"data":{"k":"v"},"payload":{"userId":"u-1","missionId":"m-1","ticketCost":3}}"#

    /// Replacements of one part of `base` each.
    static let variants: [String] = {
        let parts: [(String, [String])] = [
            (#""e-1""#, [#""""#, "1", "null", #""e\n1""#, #""\u00e9""#, #""é😀""#, "\"e\u{1}\"", #""e\"1""#]),
            (#""s""#, ["null", "true", "2", #""a/b""#]),
            ("7", ["255", "256", "-1", "0", "-0", "07", "7.0", "7e0", "null", #""7""#]),
            (#"["a","b"]"#, ["[]", "[ ]", #"["a",]"#, "[1]", #"[null]"#, "{}", "null", #"["a" "b"]"#]),
            (#"{"k":"v"}"#, ["{}", #"{"k":1}"#, #"{"k":"v","k":"w"}"#, #"{"k":null}"#, "[]", #"{"k":"v",}"#]),
            ("3", ["0", "-3", "3.5", "3e1", "1E2", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
                   "-9223372036854775809", "99999999999999999999", "null", #""3""#, "true", "-", "+3", "0x3"]),
            (#""u-1""#, [#""""#, "null", #""u 1""#]),
            (#","ticketCost":3"#, ["", #","ticketCost":3,"ticketCost":4"#, #","extra":{"deep":[1,[2,[3]]]},"ticketCost":3"#]),
            (#""missionId":"m-1","#, [""]),
        ]
        var out = [base, " \t\n\r" + base + " \n", base + "x", base + "}", String(base.dropLast()), "[" + base + "]",
                   base.replacingOccurrences(of: ":", with: " : "), base.replacingOccurrences(of: ",", with: " , "), "", "null"]
        for (original, replacements) in parts {
            for replacement in replacements { out.append(base.replacingOccurrences(of: original, with: replacement)) }
        }
        return out
    }()

    func check<T: Decodable & Equatable>(_ type: T.Type, _ text: String, bytes: [UInt8]? = nil) -> Bool {
        let data = bytes ?? Array(text.utf8)
        let plain = data.withUnsafeBytes { PlainJSON.decode(T.self, from: $0) }
        let foundation = try? JSONDecoder().decode(T.self, from: Data(data))
        if let plain {
            #expect(plain == foundation, "\(text): plain JSON decoded \(plain), Foundation \(String(describing: foundation))")
        }
        return plain != nil
    }

    @Test func decodesWhatFoundationDecodesOrGivesUp() {
        var taken = 0
        for text in Self.variants {
            if check(Envelope.self, text) { taken += 1 }
        }
        // The plain shapes are taken (the base in several spacings and most valid variants).
        #expect(taken >= 18, "\(taken) of \(Self.variants.count) taken")
        #expect(check(Envelope.self, Self.base))
        // A byte that is not UTF-8, in a key and in a value.
        var bad = Array(Self.base.utf8)
        bad[bad.firstIndex(of: UInt8(ascii: "1"))!] = 0xFF
        #expect(!check(Envelope.self, "", bytes: bad))
    }

    @Test func catalogPayloadsDecodeAsFoundationDecodesThem() {
        #expect(check(EvaluationCompleted.self, #"{"userId":"u","missionId":"m","evaluationId":"e","score":87,"passed":true,"feedback":"ok"}"#))
        #expect(!check(EvaluationCompleted.self, #"{"userId":"u","missionId":"m","evaluationId":"e","score":87.5,"passed":true,"feedback":"ok"}"#))
        #expect(!check(EvaluationCompleted.self, #"{"userId":"u","missionId":"m","evaluationId":"e","score":null,"passed":true,"feedback":"ok"}"#))
        #expect(check(EvaluationRetryCompleted.self, #"{"userId":"u","missionId":"m","evaluationId":"e","attempt":2,"succeeded":false,"score":null}"#))
        #expect(check(EvaluationRetryCompleted.self, #"{"userId":"u","missionId":"m","evaluationId":"e","attempt":2,"succeeded":false}"#))
        #expect(check(ProvisioningFailed.self, #"{"userId":"u","missionId":"m","reason":"quota"}"#))
        #expect(!check(ProvisioningFailed.self, #"{"userId":"u","missionId":"m","reason":"quota\u0021"}"#))
        #expect(check(Plan.self, #""pro""#) && !check(Plan.self, #""gold""#))
    }
}
