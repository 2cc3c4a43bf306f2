// A read-only map from byte strings to small integers, looked up straight
// from a record's bytes so the hot path never builds a String.
#if canImport(Glibc)
import Glibc
#endif

public struct ByteKeyTable: Sendable {
    private var slots: [Int32]          // index into keys, -1 empty
    private var keys: [[UInt8]] = []
    private var values: [Int] = []
    private let mask: Int

    public init(_ entries: [(String, Int)]) {
        var size = 16
        while size < entries.count * 4 { size <<= 1 }
        mask = size - 1
        slots = Array(repeating: -1, count: size)
        for (key, value) in entries { insert(Array(key.utf8), value) }
    }

    private mutating func insert(_ key: [UInt8], _ value: Int) {
        var slot = key.withUnsafeBytes { Self.hash($0) } & mask
        while slots[slot] >= 0 {
            if keys[Int(slots[slot])] == key { values[Int(slots[slot])] = value; return }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(keys.count)
        keys.append(key)
        values.append(value)
    }

    @inline(__always) static func hash(_ bytes: UnsafeRawBufferPointer) -> Int {
        var h: UInt64 = 0xcbf29ce484222325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    /// The value stored for `bytes`, or nil.
    @inline(__always) public func lookup(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var slot = Self.hash(bytes) & mask
        while true {
            let index = Int(slots[slot])
            if index < 0 { return nil }
            let key = keys[index]
            if key.count == bytes.count, key.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 || bytes.count == 0 }) {
                return values[index]
            }
            slot = (slot + 1) & mask
        }
    }

    public func lookup(_ string: String) -> Int? {
        var copy = string
        return copy.withUTF8 { lookup(UnsafeRawBufferPointer($0)) }
    }
}
