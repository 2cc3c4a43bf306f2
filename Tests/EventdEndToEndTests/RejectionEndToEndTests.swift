// Records that are not well-formed events are dead-lettered before any plugin
// sees them, byte for byte and with the reason, while the stream flows on.
import Foundation
import Testing

/// One record as `kcat -J` prints it, with strings kept as bytes: kcat passes
/// bytes that are not UTF-8 through unchanged, so Foundation cannot parse it.
struct RawRecord {
    var partition: Int
    var offset: Int
    var timestamp: Int
    var key: [UInt8]?
    var value: [UInt8]?
    var headers: [(name: String, value: [UInt8]?)]

    func header(_ name: String) -> String? {
        headers.last { $0.name == name }?.value.map { String(decoding: $0, as: UTF8.self) }
    }
}

/// A bad record, its expected outcome, and what the error must mention.
private struct BadRecord {
    var label: String
    var value: [UInt8]
    var headers: [(name: String, value: [UInt8]?)] = []
    var outcome: String
    var error: String
}

@Suite(.serialized) struct RejectionEndToEndTests {
    static let topic = "mission-events"
    static let key = "user-0"
    static let at = "2026-11-24T10:00:00Z"

    static func envelope(id: String?, type: String? = "mission.started", at: String? = at, pad: Int = 0) -> [UInt8] {
        var members: [String] = []
        if let id { members.append(#""eventId":"\#(id)""#) }
        if let type { members.append(#""eventType":"\#(type)""#) }
        if let at { members.append(#""occurredAt":"\#(at)""#) }
        if pad > 0 { members.append(#""pad":"\#(String(repeating: "x", count: pad))""#) }
        members.append(#""payload":{"testId":"\#(id ?? "none")","seq":0}"#)
        return Array("{\(members.joined(separator: ","))}".utf8)
    }

    static func cloudEvent(_ headers: [String: String]) -> [(name: String, value: [UInt8]?)] {
        var all = ["ce_type": "mission.completed", "ce_source": "e2e", "ce_specversion": "1.0"]
        all.merge(headers) { _, new in new }
        return all.sorted { $0.key < $1.key }.map { ($0.key, Array($0.value.utf8)) }
    }

    /// One of each kind the daemon must refuse. Values are unique, so each dead letter is found by its value.
    fileprivate static let badRecords: [BadRecord] = [
        BadRecord(label: "malformed JSON", value: Array(#"{"eventId":"bad-json","eventType":"mission.started","#.utf8),
                  outcome: "malformed", error: "invalid JSON"),
        BadRecord(label: "unknown eventType", value: envelope(id: "bad-type", type: "no.such.event"),
                  outcome: "unknown-event", error: "eventType 'no.such.event' is not an event of the catalog"),
        BadRecord(label: "no eventId", value: envelope(id: nil),
                  outcome: "missing-field", error: "envelope has no eventId"),
        BadRecord(label: "empty eventId", value: envelope(id: ""),
                  outcome: "missing-field", error: "envelope has an empty eventId"),
        BadRecord(label: "no occurredAt", value: envelope(id: "bad-no-time", at: nil),
                  outcome: "missing-field", error: "envelope has no occurredAt"),
        BadRecord(label: "bad occurredAt", value: envelope(id: "bad-time", at: "2024-13"),
                  outcome: "malformed", error: "occurredAt '2024-13' is not an RFC 3339 timestamp"),
        BadRecord(label: "CloudEvent without ce_id", value: Array(#"{"testId":"bad-ce-no-id"}"#.utf8),
                  headers: cloudEvent(["ce_time": at]), outcome: "missing-field", error: "CloudEvents record has no ce_id header"),
        BadRecord(label: "CloudEvent without ce_time", value: Array(#"{"testId":"bad-ce-no-time"}"#.utf8),
                  headers: cloudEvent(["ce_id": "bad-ce-no-time"]), outcome: "missing-field", error: "CloudEvents record has no ce_time header"),
        BadRecord(label: "CloudEvent with a bad ce_time", value: Array(#"{"testId":"bad-ce-time"}"#.utf8),
                  headers: cloudEvent(["ce_id": "bad-ce-time", "ce_time": "2026-11-24 10:00"]), outcome: "malformed",
                  error: "ce_time '2026-11-24 10:00' is not an RFC 3339 timestamp"),
        BadRecord(label: "oversized", value: envelope(id: "bad-big", pad: 3000),
                  outcome: "oversized", error: "exceeds max_message_bytes 2000"),
        BadRecord(label: "header not UTF-8", value: envelope(id: "bad-header"),
                  headers: [("x-null", nil), ("traceparent", Array("00-".utf8) + [0xFF, 0xFE, 0xC3] + Array("-01".utf8))],
                  outcome: "invalid-header", error: "header 'traceparent' is not valid UTF-8"),
    ]

    @Test func everyKindOfBadRecordIsDeadLetteredOnceWhileTheStreamFlowsOn() throws {
        let (daemon, _, _) = try DaemonUnderTest.embedded("reject", plugins: ["echo"], replacing: [("max_message_bytes = 1048576", "max_message_bytes = 2000")])
        defer { daemon.child.stop() }
        let b = daemon.bootstrap

        // One key, so one partition: each bad record sits between good ones that must still be handled, in order.
        let bad = Self.badRecords
        let good = EventStream.make(count: 2 * (bad.count + 1), keys: 1, ceEvery: 5, prefix: "good")
        // A good event may carry a null header and a non-ASCII one (its own key: it is not in the sequence).
        let special = StreamEvent(id: "good-headers", key: "user-h", seq: 0, cloudEvent: false, name: "mission.started",
                                  value: String(decoding: Self.envelope(id: "good-headers"), as: UTF8.self))
        for (i, record) in bad.enumerated() {
            try EventStream.produce(good[(2 * i)..<(2 * i + 2)], brokers: b, topic: Self.topic)
            try Self.produce(b, key: Self.key, value: record.value, headers: record.headers)
        }
        try Self.produce(b, key: special.key, value: Array(special.value.utf8), headers: [("x-null", nil), ("x-note", Array("héllo wörld".utf8))])
        try EventStream.produce(good[(2 * bad.count)...], brokers: b, topic: Self.topic)

        var dead: [RawRecord] = []
        var echo = EchoReport([], plugin: "echo")
        try Harness.waitUntil("\(bad.count) dead letters and \(good.count + 1) echoes", timeout: 60, poll: 0.5) {
            dead = try Self.consume(b, topic: "\(Self.topic).dlq")
            echo = EchoReport(try Kcat.consumeAll(b, topic: "echo-events"), plugin: "echo")
            return dead.count >= bad.count && echo.total >= good.count + 1
        }
        Thread.sleep(forTimeInterval: 1) // a second dead letter would show up now
        dead = try Self.consume(b, topic: "\(Self.topic).dlq")
        echo = EchoReport(try Kcat.consumeAll(b, topic: "echo-events"), plugin: "echo")

        // The stream flowed on: every good event handled once, in order.
        #expect(echo.total == good.count + 1)
        #expect(echo.missing(from: good + [special]).isEmpty)
        #expect(echo.duplicates.isEmpty)
        #expect(echo.keysOutOfOrder.isEmpty)

        let originals = try Self.consume(b, topic: Self.topic)
        #expect(dead.count == bad.count, "one dead letter per bad record, nothing else: \(dead.map { $0.header("x-dlq-outcome") ?? "?" })")
        for record in bad {
            let letters = dead.filter { $0.value == record.value }
            #expect(letters.count == 1, "\(record.label): \(letters.count) dead letters")
            guard let letter = letters.first, let original = originals.first(where: { $0.value == record.value }) else { continue }
            // The producer really sent what the record says (the non-UTF-8 header included).
            #expect(Self.same(original.headers, record.headers), "\(record.label): produced headers differ")
            #expect(letter.key == Array(Self.key.utf8), "\(record.label): key")
            let kept = letter.headers.filter { !$0.name.hasPrefix("x-dlq-") }
            #expect(Self.same(kept, original.headers), "\(record.label): headers not kept byte for byte")
            #expect(Self.same(Array(letter.headers.prefix(original.headers.count)), original.headers), "\(record.label): originals first")
            #expect(letter.header("x-dlq-outcome") == record.outcome, "\(record.label)")
            let error = letter.header("x-dlq-error") ?? ""
            #expect(error.contains(record.error), "\(record.label): x-dlq-error is '\(error)'")
            #expect(letter.header("x-dlq-original-topic") == Self.topic)
            #expect(letter.header("x-dlq-original-partition") == String(original.partition))
            #expect(letter.header("x-dlq-original-offset") == String(original.offset))
            #expect(letter.header("x-dlq-original-timestamp") == String(original.timestamp))
            #expect(letter.header("x-dlq-consumer-group") == "echo-group")
            #expect(letter.header("x-dlq-attempts") == "0", "\(record.label): rejected before any attempt")
            #expect(letter.header("x-dlq-plugin") == nil && letter.header("x-dlq-handler") == nil, "\(record.label): no plugin saw it")
            let iso = ISO8601DateFormatter()
            iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            for name in ["x-dlq-first-failure", "x-dlq-last-failure"] {
                #expect(letter.header(name).flatMap(iso.date(from:)) != nil, "\(record.label): \(name) is '\(letter.header(name) ?? "absent")'")
            }
        }
        #expect(daemon.child.stop() == 0)
    }

    @Test func aSecondEventWithTheSameIDInABurstIsDeadLetteredAsDuplicate() throws {
        let (daemon, _, _) = try DaemonUnderTest.embedded("reject-dup", plugins: ["echo"])
        defer { daemon.child.stop() }
        let b = daemon.bootstrap

        // Same key and event id, different payload: one burst, so one batch of one partition.
        func event(_ testID: String, id: String) -> (key: String, value: String) {
            (Self.key, #"{"eventId":"\#(id)","eventType":"mission.started","occurredAt":"\#(Self.at)","payload":{"testId":"\#(testID)","seq":0}}"#)
        }
        let burst = [event("before", id: "before"), event("first", id: "dup-1"), event("second", id: "dup-1"), event("after", id: "after")]
        try Kcat.run(["-b", b, "-P", "-t", Self.topic, "-K", "|", "-X", "enable.idempotence=true", "-X", "linger.ms=50"],
                     input: burst.map { "\($0.key)|\($0.value)\n" }.joined())

        var dead: [RawRecord] = []
        var echo = EchoReport([], plugin: "echo")
        try Harness.waitUntil("a dead letter and 3 echoes", timeout: 30, poll: 0.5) {
            dead = try Self.consume(b, topic: "\(Self.topic).dlq")
            echo = EchoReport(try Kcat.consumeAll(b, topic: "echo-events"), plugin: "echo")
            return !dead.isEmpty && echo.total >= 3
        }
        Thread.sleep(forTimeInterval: 1)
        dead = try Self.consume(b, topic: "\(Self.topic).dlq")
        echo = EchoReport(try Kcat.consumeAll(b, topic: "echo-events"), plugin: "echo")
        #expect(echo.countById == ["before": 1, "first": 1, "after": 1], "the second dup-1 never reached the plugin")
        #expect(dead.count == 1)
        let letter = try #require(dead.first)
        #expect(letter.value == Array(burst[2].value.utf8) && letter.key == Array(Self.key.utf8))
        #expect(letter.header("x-dlq-outcome") == "duplicate-id")
        #expect(letter.header("x-dlq-error")?.contains("dup-1") == true, "x-dlq-error is '\(letter.header("x-dlq-error") ?? "")'")
        #expect(letter.header("x-dlq-attempts") == "0")
        #expect(letter.header("x-dlq-consumer-group") == "echo-group")
        #expect(daemon.child.stop() == 0)
    }

    // MARK: kcat with bytes

    static func same(_ a: [(name: String, value: [UInt8]?)], _ b: [(name: String, value: [UInt8]?)]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// Produces one record on `topic`. kcat takes header values
    /// from its command line, which `Process` fills only with UTF-8, so every
    /// header value is written as octal escapes and expanded by the shell's
    /// printf; a nil value makes a null header (`-H name`).
    static func produce(_ brokers: String, key: String, value: [UInt8], headers: [(name: String, value: [UInt8]?)]) throws {
        var script = #"exec /usr/bin/kcat -b "$1" -P -t "$2" -k "$3" -X enable.idempotence=true"#
        for (name, header) in headers {
            guard let header else { script += " -H '\(name)'"; continue }
            script += #" -H "$(printf '\#(name)=\#(header.map { "\\" + String($0, radix: 8) }.joined())')""#
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, "sh", brokers, topic, key]
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(value + [0x0A]))
        try input.fileHandleForWriting.close()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw HarnessError("kcat produce failed (\(process.terminationStatus)): \(String(decoding: message, as: UTF8.self))")
        }
    }

    /// Reads a whole topic with `kcat -J`, strings as bytes.
    static func consume(_ brokers: String, topic: String) throws -> [RawRecord] {
        let run = try Captured(Kcat.binary, ["-b", brokers, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-J", "-X", "fetch.wait.max.ms=10"])
        guard run.status == 0 else {
            throw HarnessError("kcat -C -t \(topic) failed (\(run.status)): \(String(decoding: run.stderr, as: UTF8.self))")
        }
        return try run.stdout.split(separator: 0x0A).map { line in
            var parser = ByteJSON(bytes: Array(line))
            guard case .object(let members) = try parser.value() else { throw HarnessError("kcat -J printed a non-object") }
            func member(_ name: String) -> ByteJSON.Value? { members.first { $0.0 == name }?.1 }
            func int(_ name: String) throws -> Int {
                guard case .number(let text) = member(name), let n = Int(text) else { throw HarnessError("kcat -J: no \(name)") }
                return n
            }
            func bytes(_ value: ByteJSON.Value?) -> [UInt8]? {
                if case .string(let b) = value { return b }
                return nil
            }
            var headers: [(name: String, value: [UInt8]?)] = []
            if case .array(let flat) = member("headers") {
                for i in stride(from: 0, to: flat.count - 1, by: 2) {
                    headers.append((String(decoding: bytes(flat[i]) ?? [], as: UTF8.self), bytes(flat[i + 1])))
                }
            }
            return RawRecord(partition: try int("partition"), offset: try int("offset"), timestamp: try int("ts"),
                             key: bytes(member("key")), value: bytes(member("payload")), headers: headers)
        }
    }
}

/// Just enough JSON for `kcat -J` lines, with strings decoded to bytes.
private struct ByteJSON {
    /// JSON's one-letter escapes, by the letter after the backslash (`\"`, `\\` and `\/` stand for themselves).
    static let escapes: [UInt8: UInt8] = [
        UInt8(ascii: "n"): 0x0A, UInt8(ascii: "t"): 0x09, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C,
    ]

    indirect enum Value {
        case string([UInt8]), number(String), literal, array([Value]), object([(String, Value)])
    }

    let bytes: [UInt8]
    var i = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func value() throws -> Value {
        skipSpace()
        guard i < bytes.count else { throw HarnessError("kcat -J: unexpected end") }
        switch bytes[i] {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "{"):
            i += 1
            var members: [(String, Value)] = []
            while true {
                skipSpace()
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                if bytes[i] == UInt8(ascii: ",") { i += 1; skipSpace() }
                let name = String(decoding: try string(), as: UTF8.self)
                skipSpace()
                i += 1 // ':'
                members.append((name, try value()))
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [Value] = []
            while true {
                skipSpace()
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                if bytes[i] == UInt8(ascii: ",") { i += 1 }
                items.append(try value())
            }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = i
            while i < bytes.count, "-+.eE0123456789".utf8.contains(bytes[i]) { i += 1 }
            return .number(String(decoding: bytes[start..<i], as: UTF8.self))
        default:
            while i < bytes.count, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[i]) { i += 1 }
            return .literal // null, true, false
        }
    }

    mutating func string() throws -> [UInt8] {
        guard bytes[i] == UInt8(ascii: "\"") else { throw HarnessError("kcat -J: expected a string at \(i)") }
        i += 1
        var out: [UInt8] = []
        while i < bytes.count {
            let c = bytes[i]
            i += 1
            if c == UInt8(ascii: "\"") { return out }
            guard c == UInt8(ascii: "\\") else { out.append(c); continue }
            let e = bytes[i]
            i += 1
            if e == UInt8(ascii: "u") {
                let code = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) ?? 0xFFFD
                i += 4
                out += Array(String(Character(Unicode.Scalar(code) ?? "\u{FFFD}")).utf8)
            } else {
                out.append(Self.escapes[e] ?? e)
            }
        }
        throw HarnessError("kcat -J: unterminated string")
    }

    mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }
}
