// A string-keyed map that keeps its keys in the order JSON documents are
// written in, for the maps inside state documents written on every event: a
// `Dictionary` there is sorted again at each write (the payment wallet's 20
// mission accounts: 4.5 % of the payment daemon's CPU).

/// A map from strings to values, its keys kept in ascending byte order of their UTF-8 (the order
/// `sortedKeys` writes members in), so that `JSONObject` writes it without sorting. Encodes and
/// decodes as a JSON object, exactly as a `[String: Value]` does: a stored dictionary reads back
/// as one, and the bytes written are the same (with the default key strategies: unlike a
/// dictionary's, its keys are coding keys, which a `keyEncodingStrategy` would convert). Two keys
/// are one when their UTF-8 bytes are (a dictionary also takes canonically equivalent strings,
/// such as a precomposed and a decomposed "á", for one key).
public struct SortedKeyMap<Value> {
    public private(set) var keys: [String] = []
    public private(set) var values: [Value] = []

    public init() {}

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    /// The value at `key`; setting nil removes it.
    public subscript(key: String) -> Value? {
        get {
            let (index, found) = position(of: key)
            return found ? values[index] : nil
        }
        set {
            let (index, found) = position(of: key)
            switch (found, newValue) {
            case (true, let value?): values[index] = value
            case (true, nil):
                keys.remove(at: index)
                values.remove(at: index)
            case (false, let value?):
                keys.insert(key, at: index)
                values.insert(value, at: index)
            case (false, nil): break
            }
        }
    }

    /// Where `key` is, or where it would go (binary search in byte order).
    private func position(of key: String) -> (index: Int, found: Bool) {
        var low = 0, high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if JSONWriter.precedes(keys[middle], key) {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return (low, low < keys.count && keys[low].utf8.elementsEqual(key.utf8))
    }
}

extension SortedKeyMap: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, Value)...) {
        for (key, value) in elements { self[key] = value }
    }
}

extension SortedKeyMap: Equatable where Value: Equatable {}
extension SortedKeyMap: Sendable where Value: Sendable {}

/// Any string as a coding key (the map's keys).
private struct MapKey: CodingKey {
    let stringValue: String
    init(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

extension SortedKeyMap: Encodable where Value: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: MapKey.self)
        for (key, value) in zip(keys, values) { try container.encode(value, forKey: MapKey(stringValue: key)) }
    }
}

extension SortedKeyMap: Decodable where Value: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: MapKey.self)
        for key in container.allKeys { self[key.stringValue] = try container.decode(Value.self, forKey: key) }
    }
}
