// Any Encodable value as JSON with sorted keys and unescaped slashes: the
// bytes Foundation's JSONEncoder writes with those options, at a fraction of
// its cost. In the payment daemon's profile Foundation's encoder (its value
// tree of dictionaries, a generic key sort per object) was 45 % of the CPU per
// event, writing one 5 KB wallet and one or two follow-ups. This one keeps an
// object's members in an array and sorts them with memcmp when it writes.
import Foundation

public struct SortedJSONEncoder: Sendable {
    /// How a `Date` is written; nil: as Foundation's default does (seconds since 2001, a number).
    public var date: (@Sendable (Date) -> String)?

    public init(date: (@Sendable (Date) -> String)? = nil) { self.date = date }

    /// - Throws: `EncodingError.invalidValue` for a non-finite number, as Foundation's encoder does,
    ///   and whatever `value`'s own `encode(to:)` throws.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let root: JSONNode
        do {
            root = try JSONNode.encode(value, options: self)
        } catch is FoundationOnly {
            return try foundationEncode(value)
        }
        var out = JSONWriter(capacity: 512)
        root.write(to: &out)
        return out.bytes
    }

    /// For what only Foundation's encoder formats (`Decimal`): the same options, its speed.
    private func foundationEncode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let date {
            encoder.dateEncodingStrategy = .custom { instant, encoder in
                var container = encoder.singleValueContainer()
                try container.encode(date(instant))
            }
        }
        return Array(try encoder.encode(value))
    }
}

/// A value only Foundation's encoder writes as Foundation writes it.
struct FoundationOnly: Error {}

/// A value as the encoder collected it; objects and arrays are written (and sorted) at the end, so
/// containers may be filled in any order, as the Encoder protocol allows.
enum JSONNode {
    case string(String)
    case integer(Int64)
    case unsigned(UInt64)
    case double(Double)
    case float(Float)
    case bool(Bool)
    case null
    case container(JSONContainer)
    /// An object a `JSONObjectEncodable` value wrote itself.
    case raw([UInt8])

    static func number<I: BinaryInteger>(_ value: I) -> JSONNode {
        if let signed = Int64(exactly: value) { return .integer(signed) }
        return .unsigned(UInt64(value))
    }

    /// - Throws: for infinity and NaN, which JSON has no form for (as Foundation's encoder throws).
    static func number(_ value: Double) throws -> JSONNode { try finite(value, .double(value)) }
    static func number(_ value: Float) throws -> JSONNode { try finite(value, .float(value)) }

    private static func finite<F: BinaryFloatingPoint>(_ value: F, _ node: JSONNode) throws -> JSONNode {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "\(value) is not representable in JSON"))
        }
        return node
    }

    static func encode<T: Encodable>(_ value: T, options: SortedJSONEncoder) throws -> JSONNode {
        switch value {
        case let text as String: return .string(text)
        case let number as Int: return .integer(Int64(number))
        case let date as Date:
            if let format = options.date { return .string(format(date)) }
        case let data as Data: return .string(data.base64EncodedString())
        case let url as URL: return .string(url.absoluteString)
        case is Decimal: throw FoundationOnly()
        case let direct as any JSONObjectEncodable:
            if let bytes = try JSONObject.encode(direct, options: options) { return .raw(bytes) }
        default: break
        }
        let encoder = NodeEncoder(options: options)
        try value.encode(to: encoder)
        return encoder.root.node
    }

    func write(to out: inout JSONWriter) {
        switch self {
        case .string(let text): out.string(text)
        case .integer(let value): out.integer(value)
        case .unsigned(let value): out.integer(value)
        case .double(let value): out.floatingPoint(value)
        case .float(let value): out.floatingPoint(value)
        case .bool(let value): out.bool(value)
        case .null: out.null()
        case .container(let container): container.write(to: &out)
        case .raw(let bytes): out.append(contentsOf: bytes)
        }
    }
}

/// What one `encode(to:)` produced: nothing yet, one value, an object or an array.
final class JSONContainer {
    enum Content {
        case empty
        case single(JSONNode)
        case object([(key: String, value: JSONNode)])
        case array([JSONNode])
    }

    var content = Content.empty
    /// The `CodingKey` type its members were encoded with, when there was one (see `KeyOrders`).
    var keyType: KeyOrders.KeyType = .none

    func keyed<Key: CodingKey>(by type: Key.Type) {
        let id = ObjectIdentifier(type)
        switch keyType {
        case .none: keyType = .one(id)
        case .one(let known) where known != id: keyType = .mixed
        default: break
        }
    }

    /// As a value of its parent: an empty encoder writes `{}`, as Foundation's does.
    var node: JSONNode {
        if case .single(let node) = content { return node }
        return .container(self)
    }

    func add(_ key: String, _ value: JSONNode) {
        if case .object(var members) = content {
            content = .empty   // one reference to the array: appended in place
            members.append((key, value))
            content = .object(members)
        } else {
            content = .object([(key, value)])
        }
    }

    func append(_ value: JSONNode) {
        if case .array(var elements) = content {
            content = .empty
            elements.append(value)
            content = .array(elements)
        } else {
            content = .array([value])
        }
    }

    func write(to out: inout JSONWriter) {
        switch content {
        case .empty: out.append(UInt8(ascii: "{")); out.append(UInt8(ascii: "}"))
        case .single(let node): node.write(to: &out)
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            // The members' positions are sorted, not the members (no copies of their nodes). A later
            // member of the same key replaces an earlier one, as in Foundation's dictionary.
            let order = KeyOrders.shared.order(of: members, keyType: keyType)
            var first = true
            for (rank, index) in order.enumerated() {
                if rank + 1 < order.count, members[order[rank + 1]].key == members[index].key { continue }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                out.string(members[index].key)
                out.append(UInt8(ascii: ":"))
                members[index].value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
    }
}

/// The Encoder a value's `encode(to:)` sees; its containers add to `root`.
final class NodeEncoder: Encoder {
    let options: SortedJSONEncoder
    let root: JSONContainer
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(options: SortedJSONEncoder, root: JSONContainer = JSONContainer()) {
        self.options = options
        self.root = root
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .empty = root.content { root.content = .object([]) }
        root.keyed(by: type)
        return KeyedEncodingContainer(NodeKeyedContainer<Key>(encoder: self, target: root))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .empty = root.content { root.content = .array([]) }
        return NodeUnkeyedContainer(encoder: self, target: root)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { NodeSingleContainer(encoder: self) }

    /// A member's or element's node: scalars directly, others through their own `encode(to:)`.
    func node<T: Encodable>(_ value: T) throws -> JSONNode { try JSONNode.encode(value, options: options) }
}

struct NodeKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: NodeEncoder
    let target: JSONContainer
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws { target.add(key.stringValue, .null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { target.add(key.stringValue, .bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { target.add(key.stringValue, .string(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws { target.add(key.stringValue, try .number(value)) }
    mutating func encode(_ value: Float, forKey key: Key) throws { target.add(key.stringValue, try .number(value)) }
    mutating func encode(_ value: Int, forKey key: Key) throws { target.add(key.stringValue, .number(value)) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { target.add(key.stringValue, .number(value)) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { target.add(key.stringValue, .number(value)) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { target.add(key.stringValue, .number(value)) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { target.add(key.stringValue, .number(value)) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { target.add(key.stringValue, .number(value)) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { target.add(key.stringValue, .number(value)) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { target.add(key.stringValue, .number(value)) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { target.add(key.stringValue, .number(value)) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { target.add(key.stringValue, .number(value)) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { target.add(key.stringValue, try encoder.node(value)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = JSONContainer()
        child.content = .object([])
        child.keyed(by: keyType)
        target.add(key.stringValue, .container(child))
        return KeyedEncodingContainer(NodeKeyedContainer<NestedKey>(encoder: encoder, target: child))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = JSONContainer()
        child.content = .array([])
        target.add(key.stringValue, .container(child))
        return NodeUnkeyedContainer(encoder: encoder, target: child)
    }

    mutating func superEncoder() -> any Encoder { superEncoder(named: "super") }
    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key.stringValue) }

    private func superEncoder(named name: String) -> any Encoder {
        let child = JSONContainer()
        target.add(name, .container(child))
        return NodeEncoder(options: encoder.options, root: child)
    }
}

struct NodeUnkeyedContainer: UnkeyedEncodingContainer, ScalarSink {
    let encoder: NodeEncoder
    let target: JSONContainer
    var codingPath: [any CodingKey] { [] }
    var count: Int {
        if case .array(let elements) = target.content { return elements.count }
        return 0
    }

    mutating func put(_ node: JSONNode) throws { target.append(node) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = JSONContainer()
        child.content = .object([])
        child.keyed(by: keyType)
        target.append(.container(child))
        return KeyedEncodingContainer(NodeKeyedContainer<NestedKey>(encoder: encoder, target: child))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = JSONContainer()
        child.content = .array([])
        target.append(.container(child))
        return NodeUnkeyedContainer(encoder: encoder, target: child)
    }

    mutating func superEncoder() -> any Encoder {
        let child = JSONContainer()
        target.append(.container(child))
        return NodeEncoder(options: encoder.options, root: child)
    }
}

struct NodeSingleContainer: SingleValueEncodingContainer, ScalarSink {
    let encoder: NodeEncoder
    var codingPath: [any CodingKey] { [] }

    mutating func put(_ node: JSONNode) throws { encoder.root.content = .single(node) }
}

/// The scalar requirements the unkeyed and single-value containers share: each value becomes one node.
protocol ScalarSink {
    var encoder: NodeEncoder { get }
    mutating func put(_ node: JSONNode) throws
}

extension ScalarSink {
    mutating func encodeNil() throws { try put(.null) }
    mutating func encode(_ value: Bool) throws { try put(.bool(value)) }
    mutating func encode(_ value: String) throws { try put(.string(value)) }
    mutating func encode(_ value: Double) throws { try put(try .number(value)) }
    mutating func encode(_ value: Float) throws { try put(try .number(value)) }
    mutating func encode(_ value: Int) throws { try put(.number(value)) }
    mutating func encode(_ value: Int8) throws { try put(.number(value)) }
    mutating func encode(_ value: Int16) throws { try put(.number(value)) }
    mutating func encode(_ value: Int32) throws { try put(.number(value)) }
    mutating func encode(_ value: Int64) throws { try put(.number(value)) }
    mutating func encode(_ value: UInt) throws { try put(.number(value)) }
    mutating func encode(_ value: UInt8) throws { try put(.number(value)) }
    mutating func encode(_ value: UInt16) throws { try put(.number(value)) }
    mutating func encode(_ value: UInt32) throws { try put(.number(value)) }
    mutating func encode(_ value: UInt64) throws { try put(.number(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { try put(try encoder.node(value)) }
}

/// The sorted order of an object's members, remembered per `CodingKey` type: a struct's members
/// arrive in the same order every time (a few orders, with optional members), so each is sorted
/// once. In the payment plugin's profile sorting the wallet's members (21 objects of about 12 keys
/// per event) was a tenth of the encoding. A type whose key sequence keeps changing (a
/// dictionary's keys) is soon sorted every time, as before.
final class KeyOrders: @unchecked Sendable {
    enum KeyType { case none, one(ObjectIdentifier), mixed }

    private struct Remembered {
        var orders: [(keys: [String], order: [Int])] = []
        /// Misses minus hits: past `unstableAfter`, the type is not remembered any more.
        var balance = 0
    }

    static let shared = KeyOrders()
    static let sequencesPerType = 4
    static let unstableAfter = 16

    private let lock = NSLock()
    private var types: [ObjectIdentifier: Remembered] = [:]

    /// Positions of `members` in key order; among equal keys, in the order they were added.
    func order(of members: [(key: String, value: JSONNode)], keyType: KeyType) -> [Int] {
        guard case .one(let type) = keyType else { return Self.sorted(members) }
        lock.lock()
        defer { lock.unlock() }
        var remembered = types[type] ?? Remembered()
        guard remembered.balance < Self.unstableAfter else { return Self.sorted(members) }
        if let known = remembered.orders.first(where: { $0.keys.count == members.count && zip($0.keys, members).allSatisfy { $0 == $1.key } }) {
            if remembered.balance > 0 { types[type]!.balance -= 1 }
            return known.order
        }
        let order = Self.sorted(members)
        if remembered.orders.count == Self.sequencesPerType { remembered.orders.removeFirst() }
        remembered.orders.append((members.map(\.key), order))
        remembered.balance += 1
        types[type] = remembered
        return order
    }

    private static func sorted(_ members: [(key: String, value: JSONNode)]) -> [Int] {
        var order = Array(members.indices)
        order.sort { a, b in
            let (x, y) = (members[a].key, members[b].key)
            return x == y ? a < b : JSONWriter.precedes(x, y)
        }
        return order
    }
}
