// A single-pass JSON validator that picks the envelope fields out of an event
// value without building a document: the hot path must not allocate per event.

/// What the scanner found at the top level of a JSON event value.
public struct EnvelopeFields: Sendable, Equatable {
    /// Byte ranges of the raw string contents (between the quotes) within the value.
    public var eventType: Range<Int>?
    public var eventId: Range<Int>?
    public var occurredAt: Range<Int>?
    /// True when one of the found strings contains a backslash escape, so the
    /// raw bytes are not the decoded text.
    public var hasEscapes: Bool = false
    /// Envelope members present with a value that is not a string (their range is nil).
    public var notStrings: Field = []
    public init() {}

    /// The envelope members the scanner looks for.
    public struct Field: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let eventType = Field(rawValue: 1)
        public static let eventId = Field(rawValue: 2)
        public static let occurredAt = Field(rawValue: 4)
    }
}

/// Why a value is not a JSON object.
public struct EnvelopeError: Error, Equatable, CustomStringConvertible, Sendable {
    public let offset: Int
    public let reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

public enum EnvelopeScanner {
    /// Validates `bytes` as one JSON object and returns the ranges of the
    /// top-level string members `eventType`, `eventId` and `occurredAt`.
    /// - Throws: `EnvelopeError` when the value is not a well-formed JSON object.
    public static func scan(_ bytes: UnsafeRawBufferPointer) throws(EnvelopeError) -> EnvelopeFields {
        var cursor = Cursor(base: bytes.baseAddress, count: bytes.count)
        var fields = EnvelopeFields()
        cursor.skipSpace()
        guard cursor.peek() == UInt8(ascii: "{") else { throw cursor.fail("expected a JSON object") }
        cursor.index += 1
        cursor.skipSpace()
        if cursor.peek() == UInt8(ascii: "}") {
            cursor.index += 1
        } else {
            while true {
                cursor.skipSpace()
                let (key, keyEscaped) = try cursor.string()
                cursor.skipSpace()
                guard cursor.peek() == UInt8(ascii: ":") else { throw cursor.fail("expected ':'") }
                cursor.index += 1
                cursor.skipSpace()
                let which = keyEscaped ? 0 : cursor.envelopeKey(key)
                if which != 0 && cursor.peek() == UInt8(ascii: "\"") {
                    let (value, escaped) = try cursor.string()
                    if escaped { fields.hasEscapes = true }
                    switch which {
                    case 1: fields.eventType = value; fields.notStrings.remove(.eventType)
                    case 2: fields.eventId = value; fields.notStrings.remove(.eventId)
                    default: fields.occurredAt = value; fields.notStrings.remove(.occurredAt)
                    }
                } else {
                    try cursor.value(depth: 1)
                    switch which {
                    case 0: break
                    case 1: fields.eventType = nil; fields.notStrings.insert(.eventType)
                    case 2: fields.eventId = nil; fields.notStrings.insert(.eventId)
                    default: fields.occurredAt = nil; fields.notStrings.insert(.occurredAt)
                    }
                }
                cursor.skipSpace()
                let c = cursor.peek()
                cursor.index += 1
                if c == UInt8(ascii: ",") { continue }
                if c == UInt8(ascii: "}") { break }
                throw cursor.fail("expected ',' or '}'", at: cursor.index - 1)
            }
        }
        cursor.skipSpace()
        guard cursor.index == cursor.count else { throw cursor.fail("trailing bytes after the object") }
        return fields
    }

    /// Decodes a JSON string's raw contents (as found by `scan`) into text.
    public static func decode(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[range])
        guard raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        var pendingHigh: UInt32?
        while i < raw.count {
            let c = raw[i]
            guard c == UInt8(ascii: "\\"), i + 1 < raw.count else { out.append(c); i += 1; continue }
            let e = raw[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var code: UInt32 = 0
                for j in 0..<4 where i + j < raw.count { code = code << 4 | UInt32(hexValue(raw[i + j])) }
                i += 4
                if (0xD800..<0xDC00).contains(code) { pendingHigh = code; continue }
                if (0xDC00..<0xE000).contains(code), let high = pendingHigh {
                    code = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)
                }
                pendingHigh = nil
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(code) ?? "\u{FFFD}")).utf8))
            default: out.append(e)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension EnvelopeScanner {
    /// Whether `bytes` look like an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS`,
    /// an optional fraction, then `Z` or `±HH:MM` (`t` and `z` may be lower case).
    /// Checks the shape and each field's range, not the calendar (February 29th
    /// passes in any year): this runs per event, where a date parser costs too much.
    public static func isTimestamp(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let n = bytes.count
        guard n >= 20 else { return false }
        // Negative when either byte is not a digit.
        func number(_ i: Int) -> Int {
            let (high, low) = (bytes[i] &- 0x30, bytes[i + 1] &- 0x30)
            return high < 10 && low < 10 ? Int(high) * 10 + Int(low) : -1
        }
        let month = number(5)
        guard number(0) >= 0, number(2) >= 0, bytes[4] == UInt8(ascii: "-"),
              (1...12).contains(month), bytes[7] == UInt8(ascii: "-"),
              (1...(month == 2 ? 29 : month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31)).contains(number(8)),
              bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
              (0...23).contains(number(11)), bytes[13] == UInt8(ascii: ":"),
              (0...59).contains(number(14)), bytes[16] == UInt8(ascii: ":"),
              (0...60).contains(number(17)) else { return false }
        var i = 19
        if bytes[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < n, bytes[i] &- 0x30 < 10 { i += 1 }
            guard i > start, i < n else { return false }
        }
        switch bytes[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            return i + 1 == n
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            return i + 6 == n && (0...23).contains(number(i + 1)) && bytes[i + 3] == UInt8(ascii: ":")
                && (0...59).contains(number(i + 4))
        default:
            return false
        }
    }

    /// Whether `bytes` are well-formed UTF-8 (RFC 3629: no overlong forms, no
    /// surrogates, nothing past U+10FFFF). ASCII is checked eight bytes at a time.
    public static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var i = 0
        while i < count {
            while i + 8 <= count, base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { i += 8 }
            guard i < count else { return true }
            let lead = base.load(fromByteOffset: i, as: UInt8.self)
            if lead < 0x80 { i += 1; continue }
            guard let length = utf8SequenceLength(base, at: i, count: count) else { return false }
            i += length
        }
        return true
    }
}

/// The length of the well-formed UTF-8 sequence whose lead byte (0x80 or above)
/// is at `i`, or nil. The second byte's range rules out overlong forms,
/// surrogates and code points past U+10FFFF (RFC 3629).
@inline(__always) private func utf8SequenceLength(_ base: UnsafeRawPointer, at i: Int, count: Int) -> Int? {
    let length: Int
    var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
    switch base.load(fromByteOffset: i, as: UInt8.self) {
    case 0xC2...0xDF: length = 2
    case 0xE0: length = 3; lower = 0xA0
    case 0xE1...0xEC, 0xEE...0xEF: length = 3
    case 0xED: length = 3; upper = 0x9F
    case 0xF0: length = 4; lower = 0x90
    case 0xF1...0xF3: length = 4
    case 0xF4: length = 4; upper = 0x8F
    default: return nil
    }
    guard i + length <= count else { return nil }
    let second = base.load(fromByteOffset: i + 1, as: UInt8.self)
    guard second >= lower && second <= upper else { return nil }
    for j in 2..<length where base.load(fromByteOffset: i + j, as: UInt8.self) & 0xC0 != 0x80 { return nil }
    return length
}

@inline(__always) private func hexValue(_ c: UInt8) -> UInt8 {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: 0xFF
    }
}

private struct Cursor {
    let base: UnsafeRawPointer?
    let count: Int
    var index = 0
    static let maxDepth = 64

    @inline(__always) func peek() -> UInt8 { index < count ? base!.load(fromByteOffset: index, as: UInt8.self) : 0 }

    func fail(_ reason: String, at offset: Int? = nil) -> EnvelopeError { EnvelopeError(offset: offset ?? index, reason: reason) }

    @inline(__always) mutating func skipSpace() {
        while index < count {
            let c = base!.load(fromByteOffset: index, as: UInt8.self)
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            index += 1
        }
    }

    /// 1 eventType, 2 eventId, 3 occurredAt, 0 anything else.
    func envelopeKey(_ r: Range<Int>) -> Int {
        func equals(_ literal: StaticString) -> Bool {
            guard r.count == literal.utf8CodeUnitCount else { return false }
            return memcmp(base! + r.lowerBound, literal.utf8Start, r.count) == 0
        }
        if equals("eventType") { return 1 }
        if equals("eventId") { return 2 }
        if equals("occurredAt") { return 3 }
        return 0
    }

    /// Parses a string at the cursor; returns the raw content range and whether it has escapes.
    mutating func string() throws(EnvelopeError) -> (Range<Int>, Bool) {
        guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string") }
        index += 1
        let start = index
        var escaped = false
        while index < count {
            let c = base!.load(fromByteOffset: index, as: UInt8.self)
            if c == UInt8(ascii: "\"") {
                index += 1
                return (start..<(index - 1), escaped)
            }
            if c == UInt8(ascii: "\\") {
                escaped = true
                guard index + 1 < count else { break }
                let e = base!.load(fromByteOffset: index + 1, as: UInt8.self)
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 2
                case UInt8(ascii: "u"):
                    guard index + 5 < count else { throw fail("truncated \\u escape") }
                    for j in 2...5 where hexValue(base!.load(fromByteOffset: index + j, as: UInt8.self)) == 0xFF {
                        throw fail("bad \\u escape")
                    }
                    index += 6
                default:
                    throw fail("bad escape")
                }
                continue
            }
            if c < 0x20 { throw fail("control character in string") }
            if c >= 0x80 {
                let length = try utf8Length()
                index += length
                continue
            }
            index += 1
        }
        throw fail("unterminated string", at: start - 1)
    }

    /// Validates one UTF-8 sequence starting at the cursor (as `isValidUTF8` does:
    /// an id in overlong form would read as another id once decoded); returns its length.
    func utf8Length() throws(EnvelopeError) -> Int {
        guard let length = utf8SequenceLength(base!, at: index, count: count) else { throw fail("invalid UTF-8") }
        return length
    }

    mutating func value(depth: Int) throws(EnvelopeError) {
        guard depth <= Cursor.maxDepth else { throw fail("nesting deeper than \(Cursor.maxDepth)") }
        let c = peek()
        switch c {
        case UInt8(ascii: "\""):
            _ = try string()
        case UInt8(ascii: "{"):
            try members(closedBy: UInt8(ascii: "}"), depth: depth)
        case UInt8(ascii: "["):
            try members(closedBy: UInt8(ascii: "]"), depth: depth)
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try number()
        default:
            throw fail(index < count ? "unexpected character" : "unexpected end of input")
        }
    }

    /// The members of an object (`"name": value`, closed by `}`) or the elements of an array (closed by `]`).
    @inline(__always)
    mutating func members(closedBy close: UInt8, depth: Int) throws(EnvelopeError) {
        index += 1
        skipSpace()
        if peek() == close { index += 1; return }
        while true {
            skipSpace()
            if close == UInt8(ascii: "}") {
                _ = try string()
                skipSpace()
                guard peek() == UInt8(ascii: ":") else { throw fail("expected ':'") }
                index += 1
                skipSpace()
            }
            try value(depth: depth + 1)
            skipSpace()
            let d = peek()
            index += 1
            if d == UInt8(ascii: ",") { continue }
            if d == close { return }
            throw fail(close == UInt8(ascii: "}") ? "expected ',' or '}'" : "expected ',' or ']'", at: index - 1)
        }
    }

    mutating func literal(_ word: StaticString) throws(EnvelopeError) {
        let n = word.utf8CodeUnitCount
        guard index + n <= count, memcmp(base! + index, word.utf8Start, n) == 0 else { throw fail("bad literal") }
        index += n
    }

    mutating func number() throws(EnvelopeError) {
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        func digits(_ c: inout Cursor) -> Int {
            var n = 0
            while c.index < c.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c.peek()) { c.index += 1; n += 1 }
            return n
        }
        if peek() == UInt8(ascii: "0") { index += 1 } else if digits(&self) == 0 { throw fail("bad number", at: start) }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw fail("bad number", at: start) }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw fail("bad number", at: start) }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
