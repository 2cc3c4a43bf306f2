// In-flight markers: which events (or which partition batch) a plugin held when
// the daemon died, so that an event that keeps crashing it is quarantined.
// They only need to outlive the process, not the machine, so they are written
// unsynced: a power loss may forget one, and the event is then tried once more.
import CSQLite
import Foundation

extension SQLiteStore {
    /// Runs one autocommit write without syncing it, holding the transaction lock (the sync level
    /// cannot change while a transaction is open on the connection).
    private func unsynced<R>(_ body: () throws -> R) throws -> R {
        transactionLock.lock()
        defer { transactionLock.unlock() }
        try exec("PRAGMA synchronous=OFF")
        defer { try? exec("PRAGMA synchronous=FULL") }
        return try body()
    }

    public func startDelivery(group: String, topic: String, partition: Int32, offset: Int64, inherited: Int) throws -> Int {
        try unsynced {
            try patiently {
                try run("INSERT INTO inflight(grp, topic, part, off, starts) VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(grp, topic, part, off) DO UPDATE SET starts = starts + 1", {
                    Self.bindDelivery($0, group, topic, partition, offset)
                    sqlite3_bind_int64($0, 5, Int64(inherited + 1))
                })
            }
            var starts = 1
            try run("SELECT starts FROM inflight WHERE grp = ?1 AND topic = ?2 AND part = ?3 AND off = ?4", {
                Self.bindDelivery($0, group, topic, partition, offset)
            }, { starts = Int(sqlite3_column_int64($0, 0)) })
            return starts
        }
    }

    public func finishDelivery(group: String, topic: String, partition: Int32, offset: Int64) throws {
        // Patiently: a marker left behind would count as a crash the next time this offset comes.
        try unsynced {
            try patiently {
                try run("DELETE FROM inflight WHERE grp = ?1 AND topic = ?2 AND part = ?3 AND off = ?4", {
                    Self.bindDelivery($0, group, topic, partition, offset)
                })
            }
        }
    }

    public func startBatch(group: String, topic: String, partition: Int32, offsets: ClosedRange<Int64>) throws -> Int {
        try unsynced {
            var leftover = 0
            try run("SELECT max(starts) FROM inflight_batch WHERE grp = ?1 AND topic = ?2 AND part = ?3 AND first_off <= ?5 AND last_off >= ?4", {
                Self.bindDelivery($0, group, topic, partition, offsets.lowerBound)
                sqlite3_bind_int64($0, 5, offsets.upperBound)
            }, { leftover = Int(sqlite3_column_int64($0, 0)) })
            guard leftover == 0 else { return leftover }
            try patiently {
                try run("INSERT INTO inflight_batch(grp, topic, part, first_off, last_off, starts) VALUES(?1, ?2, ?3, ?4, ?5, 1) ON CONFLICT(grp, topic, part, first_off) DO UPDATE SET last_off = excluded.last_off, starts = starts + 1", {
                    Self.bindDelivery($0, group, topic, partition, offsets.lowerBound)
                    sqlite3_bind_int64($0, 5, offsets.upperBound)
                })
            }
            return 0
        }
    }

    public func finishBatch(group: String, topic: String, partition: Int32, through offset: Int64) throws {
        try unsynced {
            try patiently {
                try run("DELETE FROM inflight_batch WHERE grp = ?1 AND topic = ?2 AND part = ?3 AND last_off <= ?4", {
                    Self.bindDelivery($0, group, topic, partition, offset)
                })
            }
        }
    }

    /// Binds a delivery's coordinates to parameters 1 to 4.
    private static func bindDelivery(_ stmt: OpaquePointer, _ group: String, _ topic: String, _ partition: Int32, _ offset: Int64) {
        sqlite3_bind_text(stmt, 1, group, -1, transient)
        sqlite3_bind_text(stmt, 2, topic, -1, transient)
        sqlite3_bind_int(stmt, 3, partition)
        sqlite3_bind_int64(stmt, 4, offset)
    }
}
