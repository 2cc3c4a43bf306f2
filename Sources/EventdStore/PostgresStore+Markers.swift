// In-flight markers and parked keys on PostgreSQL: autocommit writes on the
// store's session (which never has a server transaction open: transactions live
// on the client until their commit), committed without waiting for the WAL flush
// (the session default).
import Foundation

extension PostgresStore {
    /// Runs one autocommit write; the statements inside run on the session one at a time.
    @discardableResult
    private func outside<R>(_ body: () throws -> R) throws -> R {
        try sessionLock.withLock { try body() }
    }

    private func delivery(_ group: String, _ topic: String, _ partition: Int32, _ offset: Int64) -> [PostgresValue] {
        [.text(group), .text(topic), .int(Int64(partition)), .int(offset)]
    }

    public func startDelivery(group: String, topic: String, partition: Int32, offset: Int64, inherited: Int) throws -> Int {
        try outside {
            var starts: Int64 = 1
            try run("""
                INSERT INTO inflight(grp, topic, part, off, starts) VALUES($1, $2, $3, $4, $5)
                ON CONFLICT(grp, topic, part, off) DO UPDATE SET starts = inflight.starts + 1 RETURNING starts
                """, delivery(group, topic, partition, offset) + [.int(Int64(inherited + 1))]) { starts = $0.int(0) }
            return Int(starts)
        }
    }

    public func finishDelivery(group: String, topic: String, partition: Int32, offset: Int64) throws {
        try outside {
            try run("DELETE FROM inflight WHERE grp = $1 AND topic = $2 AND part = $3 AND off = $4", delivery(group, topic, partition, offset))
        }
    }

    public func startBatch(group: String, topic: String, partition: Int32, offsets: ClosedRange<Int64>) throws -> Int {
        try outside {
            let params = delivery(group, topic, partition, offsets.lowerBound) + [.int(offsets.upperBound)]
            var leftover: Int64 = 0
            try run("SELECT coalesce(max(starts), 0) FROM inflight_batch WHERE grp = $1 AND topic = $2 AND part = $3 AND first_off <= $5 AND last_off >= $4",
                    params) { leftover = $0.int(0) }
            guard leftover == 0 else { return Int(leftover) }
            try run("""
                INSERT INTO inflight_batch(grp, topic, part, first_off, last_off, starts) VALUES($1, $2, $3, $4, $5, 1)
                ON CONFLICT(grp, topic, part, first_off) DO UPDATE SET last_off = excluded.last_off, starts = inflight_batch.starts + 1
                """, params)
            return 0
        }
    }

    public func finishBatch(group: String, topic: String, partition: Int32, through offset: Int64) throws {
        try outside {
            try run("DELETE FROM inflight_batch WHERE grp = $1 AND topic = $2 AND part = $3 AND last_off <= $4", delivery(group, topic, partition, offset))
        }
    }

    public func park(group: String, topic: String, key: [UInt8], partition: Int32, offset: Int64) throws {
        try outside {
            try run("INSERT INTO parked(grp, topic, key, part, off) VALUES($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    [.text(group), .text(topic), .bytes(key), .int(Int64(partition)), .int(offset)])
        }
    }

    public func unpark(group: String, topic: String, key: [UInt8], partition: Int32, offset: Int64) throws {
        try outside {
            try run("DELETE FROM parked WHERE grp = $1 AND topic = $2 AND key = $3 AND part = $4 AND off = $5",
                    [.text(group), .text(topic), .bytes(key), .int(Int64(partition)), .int(offset)])
        }
    }

    public func parkState(group: String, topic: String, key: [UInt8], partition: Int32, offset: Int64) throws -> ParkState {
        var state = ParkState()
        try run("SELECT part, off FROM parked WHERE grp = $1 AND topic = $2 AND key = $3", [.text(group), .text(topic), .bytes(key)]) {
            state.add(partition: Int32(truncatingIfNeeded: $0.int(0)), offset: $0.int(1), for: partition, offset)
        }
        return state
    }

    public func parkedKeys(group: String) throws -> [(topic: String, key: [UInt8])] {
        var out: [(topic: String, key: [UInt8])] = []
        try run("SELECT DISTINCT topic, key FROM parked WHERE grp = $1", [.text(group)]) { out.append(($0.text(0), $0.bytes(1) ?? [])) }
        return out
    }

    public func parkedCount(group: String) throws -> Int {
        var count: Int64 = 0
        try run("SELECT count(*) FROM parked WHERE grp = $1", [.text(group)]) { count = $0.int(0) }
        return Int(count)
    }
}
