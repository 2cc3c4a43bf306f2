// devtrip_eventd_event.h, the C plugins' event reader, called from Swift:
// its follow-up ids must be the Swift SDK's, byte for byte.
import CEventdPlugin
import Foundation
import EventdPluginSDK
import Testing

@Suite struct EventHelperCTests {
    func cFollowUpID(_ eventID: String, _ plugin: String, _ index: Int) -> String {
        var out = [CChar](repeating: 0, count: Int(DTE_FOLLOW_UP_ID_SIZE))
        dte_follow_up_id(eventID, plugin, Int64(index), &out)
        return out.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    func swiftFollowUpID(_ eventID: String, _ plugin: String, _ index: Int) -> String {
        Event(topic: "t", value: nil, name: "e", id: eventID, consumerGroup: "g").followUpID(index, plugin: plugin)
    }

    @Test(arguments: [
        ("m-1", "mission-rewards", 0), ("m-1", "mission-rewards", 1), ("m-1", "reward-c", 0),
        ("", "p", 0), ("ce-42", "echo-c", 12_345), ("이벤트-7", "플러그인", 3), ("x", "y", -7), ("e", "p", Int.max),
    ])
    func followUpIDIsTheSwiftSDKs(eventID: String, plugin: String, index: Int) {
        #expect(cFollowUpID(eventID, plugin, index) == swiftFollowUpID(eventID, plugin, index))
    }

    @Test func followUpIDIsFixed() {
        // Written down once: a change of the algorithm breaks every ledger downstream.
        #expect(cFollowUpID("m-1", "mission-rewards", 0) == "fu-2337e99b800d7ef10f948c0838a1799d")
        #expect(cFollowUpID("m-1", "mission-rewards", 0) != cFollowUpID("m-1", "mission-rewards", 1))
    }

    func stringField(_ json: String, _ name: String, capacity: Int = 64) -> (Int, String) {
        var out = [CChar](repeating: 0, count: capacity)
        let bytes = Array(json.utf8)
        let rc = bytes.withUnsafeBytes { dte_json_string_field($0.baseAddress, $0.count, name, &out, capacity) }
        return (rc, rc >= 0 ? out.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } : "")
    }

    @Test func readsTopLevelStringFields() {
        let json = #" { "payload" : {"userId":"inner"}, "userId" : "u-\"1\"\u00e9\ud83d\ude00", "n": -1.5e3, "list": [1, {"userId": "x"}, "]"], "z":null } "#
        #expect(stringField(json, "userId").1 == "u-\"1\"é😀")
        #expect(stringField(json, "userId").0 == "u-\"1\"é😀".utf8.count)
        #expect(stringField(json, "n").0 == Int(DTE_JSON_NOT_STRING))
        #expect(stringField(json, "z").0 == Int(DTE_JSON_NOT_STRING))
        #expect(stringField(json, "payload").0 == Int(DTE_JSON_NOT_STRING))
        #expect(stringField(json, "missing").0 == Int(DTE_JSON_ABSENT))
        #expect(stringField(#"{"a":"abcdef"}"#, "a", capacity: 6).0 == Int(DTE_JSON_TOO_SMALL), "the NUL needs a byte too")
        #expect(stringField(#"{"a":"abcdef"}"#, "a", capacity: 7).1 == "abcdef")
        #expect(stringField("{}", "a").0 == Int(DTE_JSON_ABSENT))
        for broken in [#"["a"]"#, #"{"a":"x"#, #"{"a" "x"}"#, #"{"a":"\u0000"}"#, #"{"a":"\ud800"}"#, #"{"a":"\q"}"#, "", #"{"b":1 "a":"x"}"#] {
            #expect(stringField(broken, "a").0 == Int(DTE_JSON_MALFORMED), "\(broken)")
        }
    }

    func payload(_ value: String, headers: [Header]) -> (Int32, String) {
        let bytes = Array(value.utf8)
        var json: UnsafePointer<CChar>?
        var length = 0
        let rc = bytes.withUnsafeBytes { raw in
            headers.map { ($0.name, $0.value ?? []) }.withUnsafeHeaders { list in
                var event = dte_event()
                event.struct_size = UInt32(MemoryLayout<dte_event>.size)
                event.value = raw.baseAddress
                event.value_len = raw.count
                event.headers = list.baseAddress
                event.header_count = list.count
                let rc = dte_event_payload(&event, &json, &length)
                return (rc, rc == 0 ? String(decoding: UnsafeRawBufferPointer(start: json, count: length), as: UTF8.self) : "")
            }
        }
        return rc
    }

    @Test func payloadInBothWireForms() {
        #expect(payload(#"{"eventId":"e","payload":{"a": 1}}"#, headers: []) == (0, #"{"a": 1}"#))
        #expect(payload(#"{"a":1}"#, headers: [Header("ce_type", "mission.completed")]) == (0, #"{"a":1}"#))
        #expect(payload(#"{"eventId":"e"}"#, headers: []).0 == DTE_JSON_ABSENT)
        #expect(payload("not json", headers: []).0 == DTE_JSON_MALFORMED)
    }
}

extension Array where Element == (String, [UInt8]) {
    /// The headers as `dte_header`s, valid inside `body`.
    func withUnsafeHeaders<R>(_ body: (UnsafeBufferPointer<dte_header>) -> R) -> R {
        let names = map { strdup($0.0)! }
        let values = map { bytes -> UnsafeMutableRawPointer in
            let p = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(bytes.1.count, 1), alignment: 1)
            p.copyMemory(from: bytes.1, byteCount: bytes.1.count)
            return p
        }
        defer { names.forEach { free($0) }; values.forEach { $0.deallocate() } }
        let headers = indices.map { dte_header(name: names[$0], value: values[$0], value_len: self[$0].1.count) }
        return headers.withUnsafeBufferPointer(body)
    }
}
