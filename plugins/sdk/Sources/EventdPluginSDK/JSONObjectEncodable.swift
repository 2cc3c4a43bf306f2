// The SortedJSONEncoder's fast path for the documents a plugin writes on every
// event: a type writes its members itself, in key order, without Codable's
// containers. In the payment daemon's profile the wallet (a document of 21
// objects) through `Encodable` was a quarter of the CPU per event.
import Foundation

/// A type that writes itself as a JSON object, member by member in ascending key order (the byte
/// order of the keys' UTF-8, as `sortedKeys` sorts). Its `Encodable` conformance stays the
/// reference: a member written out of order makes `SortedJSONEncoder` use `encode(to:)` instead, so
/// a mistake costs speed, never different bytes. Write optional members with the `Optional`
/// overloads (skipped when nil, as synthesized `Encodable` does), and test the type against
/// Foundation's encoder and with `JSONObject.writesInOrder`.
public protocol JSONObjectEncodable: Encodable {
    func encodeJSON(into object: inout JSONObject) throws
}

/// A member's scalar value, for `JSONObject.add(_:)` of several members at once.
public enum JSONScalar {
    case integer(Int?)
    case string(String?)
    case bool(Bool)
}

/// The object a `JSONObjectEncodable` value writes its members into.
public struct JSONObject {
    private var out = JSONWriter(capacity: 0)
    private let options: SortedJSONEncoder
    private var previous: StaticString?
    /// False once a key was not above the one before it.
    public private(set) var inOrder = true

    init(options: SortedJSONEncoder) {
        self.options = options
        out.append(UInt8(ascii: "{"))
    }

    /// Whether `value` writes its keys in order, so that `SortedJSONEncoder` takes the fast path for it.
    public static func writesInOrder<T: JSONObjectEncodable>(_ value: T) throws -> Bool {
        var object = JSONObject(options: SortedJSONEncoder())
        try value.encodeJSON(into: &object)
        return object.inOrder
    }

    /// The object's bytes, or nil when its members were not written in key order.
    static func encode(_ value: some JSONObjectEncodable, options: SortedJSONEncoder) throws -> [UInt8]? {
        var out = JSONWriter(capacity: 256)
        return try write(value, into: &out, options: options) ? out.bytes : nil
    }

    /// Writes `value` at the end of `out`, in place (a nested object needs no buffer of its own).
    /// - Returns: false, with `out` as it was, when its members were not written in key order.
    static func write(_ value: some JSONObjectEncodable, into out: inout JSONWriter, options: SortedJSONEncoder) throws -> Bool {
        let mark = out.count
        var object = JSONObject(options: options, taking: &out)
        defer { swap(&object.out, &out) }
        do {
            try value.encodeJSON(into: &object)
        } catch {
            object.out.truncate(to: mark)
            throw error
        }
        guard object.inOrder else {
            object.out.truncate(to: mark)
            return false
        }
        object.out.append(UInt8(ascii: "}"))
        return true
    }

    private init(options: SortedJSONEncoder, taking out: inout JSONWriter) {
        self.options = options
        swap(&self.out, &out)
        self.out.append(UInt8(ascii: "{"))
    }

    /// A member's value: in place when it writes itself, else through the encoder's nodes.
    private mutating func value<T: Encodable>(_ value: T) throws {
        if let direct = value as? any JSONObjectEncodable, try Self.write(direct, into: &out, options: options) { return }
        try JSONNode.encode(value, options: options).write(to: &out)
    }

    public mutating func add(_ key: StaticString, _ value: String) {
        member(key)
        out.string(value)
    }

    public mutating func add(_ key: StaticString, _ value: Int) {
        member(key)
        out.integer(value)
    }

    public mutating func add(_ key: StaticString, _ value: Bool) {
        member(key)
        out.bool(value)
    }

    /// Scalar members, in order (a nil one is left out).
    public mutating func add(_ members: KeyValuePairs<StaticString, JSONScalar>) {
        for (key, value) in members {
            switch value {
            case .integer(let number): add(key, number)
            case .string(let text): add(key, text)
            case .bool(let flag): add(key, flag)
            }
        }
    }

    public mutating func add(_ key: StaticString, _ value: String?) {
        if let value { add(key, value) }
    }

    public mutating func add(_ key: StaticString, _ value: Int?) {
        if let value { add(key, value) }
    }

    public mutating func add(_ key: StaticString, _ value: [String]) {
        member(key)
        out.append(UInt8(ascii: "["))
        for (index, element) in value.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.string(element)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// A map with string keys: an object with its keys sorted.
    public mutating func add<V: Encodable>(_ key: StaticString, _ value: [String: V]) throws {
        let keys = value.keys, values = value.values
        try object(key, Self.sortedPositions(value), { keys[$0] }) { try $0.value(values[$1]) }
    }

    /// A map of values that write themselves: no dynamic cast per value.
    public mutating func add<V: JSONObjectEncodable>(_ key: StaticString, _ value: [String: V]) throws {
        let keys = value.keys, values = value.values
        try object(key, Self.sortedPositions(value), { keys[$0] }) { try $0.direct(values[$1]) }
    }

    /// A map already in key order: no sort.
    public mutating func add<V: JSONObjectEncodable>(_ key: StaticString, _ value: SortedKeyMap<V>) throws {
        try object(key, value.keys.indices, { value.keys[$0] }) { try $0.direct(value.values[$1]) }
    }

    /// A dictionary's positions in key order: the positions are sorted, not the entries, so no value
    /// is copied to sort and none is looked up again by its key.
    private static func sortedPositions<V>(_ map: [String: V]) -> [Dictionary<String, V>.Index] {
        let keys = map.keys
        return map.indices.sorted { JSONWriter.precedes(keys[$0], keys[$1]) }
    }

    /// Member `key`: an object of the members at `positions`, in that order, each named by `name`
    /// and its value written by `write`.
    private mutating func object<Positions: Sequence>(
        _ key: StaticString, _ positions: Positions, _ name: (Positions.Element) -> String,
        _ write: (inout JSONObject, Positions.Element) throws -> Void
    ) throws {
        member(key)
        out.append(UInt8(ascii: "{"))
        for (index, position) in positions.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.string(name(position))
            out.append(UInt8(ascii: ":"))
            try write(&self, position)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// A value that writes itself.
    public mutating func add<T: JSONObjectEncodable>(_ key: StaticString, _ value: T) throws {
        member(key)
        try direct(value)
    }

    public mutating func add<T: JSONObjectEncodable>(_ key: StaticString, _ value: T?) throws {
        if let value { try add(key, value) }
    }

    private mutating func direct<T: JSONObjectEncodable>(_ value: T) throws {
        if try Self.write(value, into: &out, options: options) { return }
        try JSONNode.encode(value, options: options).write(to: &out)
    }

    /// Any other value (itself `JSONObjectEncodable` or not).
    public mutating func add<T: Encodable>(_ key: StaticString, _ value: T) throws {
        member(key)
        try self.value(value)
    }

    public mutating func add<T: Encodable>(_ key: StaticString, _ value: T?) throws {
        if let value { try add(key, value) }
    }

    private mutating func member(_ key: StaticString) {
        if let previous {
            if !Self.precedes(previous, key) { inOrder = false }
            out.append(UInt8(ascii: ","))
        }
        previous = key
        key.withUTF8Buffer { out.string($0) }
        out.append(UInt8(ascii: ":"))
    }

    private static func precedes(_ a: StaticString, _ b: StaticString) -> Bool {
        a.withUTF8Buffer { x in b.withUTF8Buffer { y in JSONWriter.precedes(x, y) } }
    }
}
