// The event ids seen in one partition's share of a batch, to reject an id
// that repeats. Open addressing over a 64-bit FNV-1a hash with the ids' bytes
// in one arena: a check allocates nothing once the arrays have grown.
import Glibc

struct BatchIDSet {
    private var slots: [Int32]
    private var mask: Int
    private var hashes: [UInt64] = []
    private var spans: [(start: Int32, count: Int32)] = []
    private var arena: [UInt8] = []

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        mask = size - 1
        hashes.reserveCapacity(capacity)
        spans.reserveCapacity(capacity)
        arena.reserveCapacity(capacity * 40)
    }

    @inline(__always) static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    /// Adds `id`. - Returns: false when it was already there.
    mutating func insert(_ id: UnsafeRawBufferPointer) -> Bool {
        if spans.count * 2 >= slots.count { grow() }
        let h = Self.hash(id)
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] >= 0 {
            let entry = Int(slots[i])
            if hashes[entry] == h {
                let span = spans[entry]
                let same = arena.withUnsafeBytes { stored in
                    span.count == Int32(id.count) && memcmp(stored.baseAddress! + Int(span.start), id.baseAddress!, id.count) == 0
                }
                if same { return false }
            }
            i = (i + 1) & mask
        }
        slots[i] = Int32(spans.count)
        hashes.append(h)
        spans.append((Int32(arena.count), Int32(id.count)))
        arena.append(contentsOf: id)
        return true
    }

    private mutating func grow() {
        slots = Array(repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for (entry, h) in hashes.enumerated() {
            var i = Int(truncatingIfNeeded: h) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(entry)
        }
    }
}
