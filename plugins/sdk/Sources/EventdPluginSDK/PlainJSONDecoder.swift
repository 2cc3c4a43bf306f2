// The envelope decoder's fast path. In the payment daemon's profile Foundation's
// JSONDecoder, decoding each event's envelope and payload (about 250 bytes), was a
// tenth of the CPU per event. Catalog events are plain JSON: objects of strings
// without escapes, integers, booleans, nulls and arrays. This decoder takes exactly
// those and gives up on anything else (an escape, a fraction, a duplicate key, a
// mismatched type, a missing field, a Date or URL...), and the caller then decodes
// with Foundation, whose value or error is the reference. So it can make a decode
// cheaper, never different: `PlainJSONDecoderTests` holds it to Foundation's results.
import Foundation

enum PlainJSON {
    /// `T` decoded from `bytes`, or nil when they are not plain JSON or `T` asked for more than it offers.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: UnsafeRawBufferPointer) -> T? {
        var parser = Parser(bytes: bytes.bindMemory(to: UInt8.self))
        guard let root = parser.document() else { return nil }
        let decoder = PlainDecoder(root, path: [], gaveUp: GaveUp())
        guard let value = try? decoder.decode(T.self), !decoder.gaveUp.flag else { return nil }
        return value
    }
}

/// A parsed plain JSON value.
enum PlainValue {
    case object([(key: String, value: PlainValue)])
    case array([PlainValue])
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case null
}

/// Strict JSON (RFC 8259) restricted to plain values; nil for anything outside them.
struct Parser {
    let bytes: UnsafeBufferPointer<UInt8>
    var at = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func document() -> PlainValue? {
        skipSpace()
        guard let value = value() else { return nil }
        skipSpace()
        return at == bytes.count ? value : nil
    }

    private mutating func skipSpace() {
        while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
    }

    private mutating func literal(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard bytes.count - at >= count, memcmp(bytes.baseAddress! + at, text.utf8Start, count) == 0 else { return false }
        at += count
        return true
    }

    private mutating func value() -> PlainValue? {
        guard at < bytes.count, depth < 32 else { return nil }
        switch bytes[at] {
        case UInt8(ascii: "{"): return object()
        case UInt8(ascii: "["): return array()
        case UInt8(ascii: "\""): return string().map(PlainValue.string)
        case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
        case UInt8(ascii: "n"): return literal("null") ? .null : nil
        default: return integer()
        }
    }

    private mutating func object() -> PlainValue? {
        var members: [(key: String, value: PlainValue)] = []
        let closed = sequence(closing: UInt8(ascii: "}")) { parser in
            guard parser.at < parser.bytes.count, parser.bytes[parser.at] == UInt8(ascii: "\""), let key = parser.string(),
                  !members.contains(where: { $0.key == key }) else { return false }
            parser.skipSpace()
            guard parser.at < parser.bytes.count, parser.bytes[parser.at] == UInt8(ascii: ":") else { return false }
            parser.at += 1
            parser.skipSpace()
            guard let value = parser.value() else { return false }
            members.append((key, value))
            return true
        }
        return closed ? .object(members) : nil
    }

    private mutating func array() -> PlainValue? {
        var elements: [PlainValue] = []
        let closed = sequence(closing: UInt8(ascii: "]")) { parser in
            guard let value = parser.value() else { return false }
            elements.append(value)
            return true
        }
        return closed ? .array(elements) : nil
    }

    /// From the opening bracket past `closing`: `item` (which reads one element) between commas.
    private mutating func sequence(closing: UInt8, _ item: (inout Parser) -> Bool) -> Bool {
        at += 1
        depth += 1
        defer { depth -= 1 }
        skipSpace()
        if at < bytes.count, bytes[at] == closing {
            at += 1
            return true
        }
        while true {
            skipSpace()
            guard item(&self) else { return false }
            skipSpace()
            guard at < bytes.count else { return false }
            at += 1
            if bytes[at - 1] == closing { return true }
            guard bytes[at - 1] == UInt8(ascii: ",") else { return false }
        }
    }

    /// A string without escapes or control characters, valid UTF-8.
    private mutating func string() -> String? {
        at += 1
        let start = at
        while at < bytes.count {
            let byte = bytes[at]
            if byte == UInt8(ascii: "\"") {
                let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
                at += 1
                return text
            }
            guard byte >= 0x20, byte != UInt8(ascii: "\\") else { return nil }
            at += 1
        }
        return nil
    }

    /// `-?(0|[1-9][0-9]*)` within Int64 (not "-0"); a fraction or an exponent is not plain.
    private mutating func integer() -> PlainValue? {
        let negative = bytes[at] == UInt8(ascii: "-")
        if negative { at += 1 }
        let start = at
        var magnitude: UInt64 = 0
        while at < bytes.count, bytes[at] >= UInt8(ascii: "0"), bytes[at] <= UInt8(ascii: "9") {
            let (times, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(UInt64(bytes[at] - UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            magnitude = sum
            at += 1
        }
        let digits = at - start
        guard digits > 0, !(digits > 1 && bytes[start] == UInt8(ascii: "0")), !(negative && magnitude == 0) else { return nil }
        if at < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[at]) { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return .integer(magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude))
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return .integer(Int64(magnitude))
    }
}

/// Set when the decoder met something it does not take: the decoded value, even if one came out
/// (a `try?` in an `init(from:)` may have swallowed the failure), is then not used.
final class GaveUp {
    var flag = false
}

struct PlainJSONUnsupported: Error {}

final class PlainDecoder: Decoder {
    let value: PlainValue
    let codingPath: [any CodingKey]
    let gaveUp: GaveUp
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ value: PlainValue, path: [any CodingKey], gaveUp: GaveUp) {
        (self.value, codingPath, self.gaveUp) = (value, path, gaveUp)
    }

    func giveUp() -> PlainJSONUnsupported {
        gaveUp.flag = true
        return PlainJSONUnsupported()
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw giveUp() }
        return KeyedDecodingContainer(PlainKeyedContainer<Key>(decoder: self, members: members))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw giveUp() }
        return PlainUnkeyedContainer(decoder: self, elements: elements)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { PlainSingleContainer(decoder: self) }

    /// `value` as a `T`.
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decode(value, as: type) { self } }

    /// `value` (this decoder's or a member's) as a `T`: the scalars directly, others through their own
    /// `init(from:)` with the decoder `nested` makes (made only then: a member's scalar needs none);
    /// types Foundation's decoder treats specially are not taken.
    func decode<T: Decodable>(_ value: PlainValue, as type: T.Type, nested: () -> PlainDecoder) throws -> T {
        func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
            guard case .integer(let number) = value, let exact = I(exactly: number) else { throw giveUp() }
            return exact
        }
        switch type {
        case is String.Type:
            guard case .string(let text) = value else { throw giveUp() }
            return text as! T
        case is Bool.Type:
            guard case .bool(let flag) = value else { throw giveUp() }
            return flag as! T
        case is Int.Type: return try integer(Int.self) as! T
        case is Int64.Type: return try integer(Int64.self) as! T
        case is Int32.Type: return try integer(Int32.self) as! T
        case is Int16.Type: return try integer(Int16.self) as! T
        case is Int8.Type: return try integer(Int8.self) as! T
        case is UInt.Type: return try integer(UInt.self) as! T
        case is UInt64.Type: return try integer(UInt64.self) as! T
        case is UInt32.Type: return try integer(UInt32.self) as! T
        case is UInt16.Type: return try integer(UInt16.self) as! T
        case is UInt8.Type: return try integer(UInt8.self) as! T
        // Foundation's decoder reads these its own way (and the floating-point types are not plain here).
        case is Date.Type, is Data.Type, is URL.Type, is Decimal.Type, is Double.Type, is Float.Type: throw giveUp()
        default: return try T(from: nested())
        }
    }

    func child(_ value: PlainValue, _ key: any CodingKey) -> PlainDecoder {
        PlainDecoder(value, path: codingPath + [key], gaveUp: gaveUp)
    }
}

struct PlainKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: PlainDecoder
    let members: [(key: String, value: PlainValue)]
    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { members.compactMap { Key(stringValue: $0.key) } }

    func contains(_ key: Key) -> Bool { members.contains { $0.key == key.stringValue } }

    private func value(_ key: Key) throws -> PlainValue {
        guard let found = members.first(where: { $0.key == key.stringValue }) else { throw decoder.giveUp() }
        return found.value
    }

    private func member(_ key: Key) throws -> PlainDecoder { decoder.child(try value(key), key) }

    /// A member as a `T`: a scalar straight from its value, without a decoder of its own.
    private func read<T: Decodable>(_ key: Key) throws -> T {
        let found = try value(key)
        return try decoder.decode(found, as: T.self) { decoder.child(found, key) }
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        if case .null = try value(key) { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try read(key) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try read(key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try read(key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try read(key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try read(key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try read(key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try read(key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try read(key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try read(key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try read(key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try read(key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try read(key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try read(key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try read(key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try read(key) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try member(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try member(key).unkeyedContainer() }
    func superDecoder() throws -> any Decoder { throw decoder.giveUp() }
    func superDecoder(forKey key: Key) throws -> any Decoder { throw decoder.giveUp() }
}

struct PlainUnkeyedContainer: UnkeyedDecodingContainer {
    let decoder: PlainDecoder
    let elements: [PlainValue]
    var currentIndex = 0
    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    init(decoder: PlainDecoder, elements: [PlainValue]) { (self.decoder, self.elements) = (decoder, elements) }

    private mutating func next() throws -> PlainDecoder {
        guard !isAtEnd else { throw decoder.giveUp() }
        defer { currentIndex += 1 }
        return decoder.child(elements[currentIndex], IndexKey(intValue: currentIndex))
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { throw decoder.giveUp() }
        if case .null = elements[currentIndex] { currentIndex += 1; return true }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decode(T.self) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { throw decoder.giveUp() }
}

struct PlainSingleContainer: SingleValueDecodingContainer {
    let decoder: PlainDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool {
        if case .null = decoder.value { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decode(T.self) }
}

/// An array element's place in a coding path.
struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}
