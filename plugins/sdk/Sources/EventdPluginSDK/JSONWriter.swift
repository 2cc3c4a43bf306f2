// JSON written directly into bytes, exactly as the SDK's encoders write it
// (Foundation's JSONEncoder with sorted keys and unescaped slashes), for the
// documents and follow-ups a plugin writes on every event. The payment
// plugin's profile: Foundation's encoder (Codable containers, a key sort per
// object) was 45 % of the daemon's CPU per event, on one 5 KB wallet and one
// or two follow-ups.
import Foundation

/// A value that writes its own JSON. A type conforms by writing its members
/// with `field` in ascending byte order of their names, as `sortedKeys` would,
/// and omitting nil ones, as synthesized `Encodable` does; the SDK's tests and a
/// conforming type's own tests compare the bytes with `JSONEncoder`'s.
public protocol JSONValue {
    func writeJSON(_ out: inout JSONWriter)
}

public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// No member or element written yet in the innermost object or array.
    private var first = true

    public init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    /// The JSON of `value`.
    public static func encode<V: JSONValue>(_ value: V, capacity: Int = 512) -> [UInt8] {
        var out = JSONWriter(capacity: capacity)
        value.writeJSON(&out)
        return out.bytes
    }

    /// `{`, the members `body` writes, `}`.
    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        scope(open: UInt8(ascii: "{"), close: UInt8(ascii: "}"), body)
    }

    /// `[`, the elements, `]`.
    public mutating func array<S: Sequence>(_ elements: S) where S.Element: JSONValue {
        scope(open: UInt8(ascii: "["), close: UInt8(ascii: "]")) { out in
            for element in elements {
                out.separate()
                element.writeJSON(&out)
            }
        }
    }

    /// One member; names must come in ascending byte order.
    public mutating func field<V: JSONValue>(_ name: String, _ value: V) {
        separate()
        string(name)
        bytes.append(UInt8(ascii: ":"))
        value.writeJSON(&self)
    }

    /// One member, left out when nil.
    public mutating func field<V: JSONValue>(_ name: String, _ value: V?) {
        if let value { field(name, value) }
    }

    public mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            bytes.append(UInt8(ascii: "\""))
            var start = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                escape(byte)
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
            bytes.append(UInt8(ascii: "\""))
        }
    }

    public mutating func int(_ value: Int) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 24 bytes: a magnitude has at most 20 digits
        withUnsafeMutableBytes(of: &scratch) { digits in
            var rest = value.magnitude, at = digits.count
            repeat {
                at -= 1
                digits[at] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            bytes.append(contentsOf: digits[at...])
        }
    }

    public mutating func bool(_ value: Bool) {
        bytes.append(contentsOf: value ? Self.trueBytes : Self.falseBytes)
    }

    /// Byte order of the UTF-8 forms (what `sortedKeys` sorts by), with one `memcmp` for native strings.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        let fast = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y -> Bool in
                let common = min(x.count, y.count)
                let order = common == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, common)
                return order != 0 ? order < 0 : x.count < y.count
            }
        }
        return (fast ?? nil) ?? a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    private static let hex = Array("0123456789abcdef".utf8)
    private static let trueBytes = Array("true".utf8), falseBytes = Array("false".utf8)

    private mutating func scope(open: UInt8, close: UInt8, _ body: (inout JSONWriter) -> Void) {
        bytes.append(open)
        let outer = first
        first = true
        body(&self)
        first = outer
        bytes.append(close)
    }

    private mutating func separate() {
        if first { first = false } else { bytes.append(UInt8(ascii: ",")) }
    }

    /// As Foundation escapes: the short forms where JSON has them, else `\u00xx` in lower case.
    private mutating func escape(_ byte: UInt8) {
        let short: UInt8? = switch byte {
        case UInt8(ascii: "\""): UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): UInt8(ascii: "\\")
        case 0x08: UInt8(ascii: "b")
        case 0x09: UInt8(ascii: "t")
        case 0x0A: UInt8(ascii: "n")
        case 0x0C: UInt8(ascii: "f")
        case 0x0D: UInt8(ascii: "r")
        default: nil
        }
        bytes.append(UInt8(ascii: "\\"))
        if let short { return bytes.append(short) }
        bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 0xF)]])
    }
}

extension String: JSONValue {
    public func writeJSON(_ out: inout JSONWriter) { out.string(self) }
}

extension Int: JSONValue {
    public func writeJSON(_ out: inout JSONWriter) { out.int(self) }
}

extension Bool: JSONValue {
    public func writeJSON(_ out: inout JSONWriter) { out.bool(self) }
}

extension Array: JSONValue where Element: JSONValue {
    public func writeJSON(_ out: inout JSONWriter) { out.array(self) }
}

extension Dictionary: JSONValue where Key == String, Value: JSONValue {
    /// Members in ascending byte order of their keys.
    public func writeJSON(_ out: inout JSONWriter) {
        let keys = self.keys.sorted(by: JSONWriter.precedes)
        out.object { out in
            for key in keys { out.field(key, self[key]!) }
        }
    }
}

extension OutgoingEvent: JSONValue where Payload: JSONValue {
    public func writeJSON(_ out: inout JSONWriter) {
        out.object { out in
            out.field("causationId", causationId)
            out.field("correlationId", correlationId)
            out.field("eventId", eventId)
            out.field("eventType", eventType)
            out.field("occurredAt", occurredAt)
            out.field("payload", payload)
            out.field("source", source)
            out.field("subject", subject)
        }
    }
}
