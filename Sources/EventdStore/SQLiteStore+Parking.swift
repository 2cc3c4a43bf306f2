// Parked events of handlers that keep per-key order: while an event of key K
// waits on a delay tier, later events of K for the same plugin wait behind it.
// One row per parked source event (topic, partition, offset), so parking the
// same event twice (a re-read after a crash) is one row.
import CSQLite
import Foundation

extension SQLiteStore {
    static let parkingSchema = """
        CREATE TABLE IF NOT EXISTS parked (grp TEXT NOT NULL, topic TEXT NOT NULL, key BLOB NOT NULL, part INTEGER NOT NULL, \
        off INTEGER NOT NULL, PRIMARY KEY (grp, topic, key, part, off)) WITHOUT ROWID
        """

    private func bindCoordinates(_ stmt: OpaquePointer, group: String, topic: String, key: [UInt8]) {
        sqlite3_bind_text(stmt, 1, group, -1, Self.transient)
        sqlite3_bind_text(stmt, 2, topic, -1, Self.transient)
        _ = key.withUnsafeBytes { sqlite3_bind_blob(stmt, 3, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32($0.count), Self.transient) }
    }

    /// Records that the event at (topic, partition, offset) with `key` is parked.
    public func park(group: String, topic: String, key: [UInt8], partition: Int32, offset: Int64) throws {
        try writeRow("INSERT OR IGNORE INTO parked(grp, topic, key, part, off) VALUES(?1, ?2, ?3, ?4, ?5)",
                     group: group, topic: topic, key: key, partition: partition, offset: offset)
    }

    /// Forgets a parked event (handled, or dead-lettered).
    public func unpark(group: String, topic: String, key: [UInt8], partition: Int32, offset: Int64) throws {
        try writeRow("DELETE FROM parked WHERE grp = ?1 AND topic = ?2 AND key = ?3 AND part = ?4 AND off = ?5",
                     group: group, topic: topic, key: key, partition: partition, offset: offset)
    }

    /// Writes one parked row under the transaction lock: never inside another thread's open (batch)
    /// transaction on this connection, where a rollback would take the row with it.
    private func writeRow(_ sql: String, group: String, topic: String, key: [UInt8], partition: Int32, offset: Int64) throws {
        try transactionLock.withLock {
            try run(sql, {
                self.bindCoordinates($0, group: group, topic: topic, key: key)
                sqlite3_bind_int($0, 4, partition)
                sqlite3_bind_int64($0, 5, offset)
            })
        }
    }

    public func parkState(group: String, topic: String, key: [UInt8], partition: Int32, offset: Int64) throws -> ParkState {
        var state = ParkState()
        try run("SELECT part, off FROM parked WHERE grp = ?1 AND topic = ?2 AND key = ?3", {
            self.bindCoordinates($0, group: group, topic: topic, key: key)
        }, { stmt in
            state.add(partition: sqlite3_column_int(stmt, 0), offset: sqlite3_column_int64(stmt, 1), for: partition, offset)
        })
        return state
    }

    /// Every parked (topic, key) of `group`.
    public func parkedKeys(group: String) throws -> [(topic: String, key: [UInt8])] {
        var out: [(String, [UInt8])] = []
        try run("SELECT DISTINCT topic, key FROM parked WHERE grp = ?1", { sqlite3_bind_text($0, 1, group, -1, Self.transient) }) { stmt in
            let n = Int(sqlite3_column_bytes(stmt, 1))
            let key = n > 0 ? Array(UnsafeRawBufferPointer(start: sqlite3_column_blob(stmt, 1), count: n)) : []
            out.append((String(cString: sqlite3_column_text(stmt, 0)), key))
        }
        return out
    }

    public func parkedCount(group: String) throws -> Int {
        var count = 0
        try run("SELECT count(*) FROM parked WHERE grp = ?1", { sqlite3_bind_text($0, 1, group, -1, Self.transient) }) {
            count = Int(sqlite3_column_int64($0, 0))
        }
        return count
    }
}
