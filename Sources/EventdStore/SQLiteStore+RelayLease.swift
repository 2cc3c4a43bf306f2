// The lease on publishing a store's outbox. Daemons that share a state
// directory share each plugin's outbox; exactly one of them (the holder)
// publishes it, so a row goes out once and rows go out in commit order. The
// holder renews the lease while it lives; a holder that died (its pid is gone
// on this host) or stopped renewing (the lease expired) is replaced.
import CSQLite
import Foundation

extension SQLiteStore {
    static let relayLeaseSchema = """
        CREATE TABLE IF NOT EXISTS relay_lease (id INTEGER PRIMARY KEY CHECK (id = 1), owner TEXT NOT NULL, \
        host TEXT NOT NULL, pid INTEGER NOT NULL, expires_ms INTEGER NOT NULL)
        """

    /// Another owner's lease is taken over when it expired, when its process is
    /// gone from this host (a `kill -9` hands over at once), or when its expiry
    /// lies implausibly far ahead (the clock was set back).
    /// - Parameter isAlive: whether a pid of this host is alive (tests replace it).
    /// - Throws: `StoreError` (`isBusy` when other processes held the store too long).
    public func acquireRelayLease(_ owner: RelayOwner, for duration: TimeInterval, now: Date,
                                  isAlive: (Int32) -> Bool) throws -> RelayLease {
        let nowMs = Int64(now.timeIntervalSince1970 * 1000)
        let durationMs = Int64(duration * 1000)
        return try transaction {
            var current: (owner: String, host: String, pid: Int32, expiresMs: Int64)?
            try run("SELECT owner, host, pid, expires_ms FROM relay_lease WHERE id = 1", { _ in }, { stmt in
                current = (String(cString: sqlite3_column_text(stmt, 0)), String(cString: sqlite3_column_text(stmt, 1)),
                           sqlite3_column_int(stmt, 2), sqlite3_column_int64(stmt, 3))
            })
            var takenOver: String?
            if let current, current.owner != owner.id {
                let sameHost = current.host == owner.host
                if current.expiresMs <= nowMs {
                    takenOver = "its lease expired"
                } else if sameHost && (current.pid == owner.pid || !isAlive(current.pid)) {
                    // Our own pid on another owner id is an earlier incarnation of this process slot (a container's pid 1).
                    takenOver = "pid \(current.pid) is gone"
                } else if current.expiresMs > nowMs + 2 * durationMs {
                    takenOver = "its expiry lies in the future beyond any lease (clock set back)"
                } else {
                    let expires = Date(timeIntervalSince1970: Double(current.expiresMs) / 1000)
                    return (false, RelayLease(held: false, holder: current.owner, expires: expires))
                }
                takenOver = "from \(current.owner): \(takenOver!)"
            }
            try run("INSERT INTO relay_lease(id, owner, host, pid, expires_ms) VALUES(1, ?1, ?2, ?3, ?4) ON CONFLICT(id) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid, expires_ms = excluded.expires_ms", {
                sqlite3_bind_text($0, 1, owner.id, -1, Self.transient)
                sqlite3_bind_text($0, 2, owner.host, -1, Self.transient)
                sqlite3_bind_int($0, 3, owner.pid)
                sqlite3_bind_int64($0, 4, nowMs + durationMs)
            })
            return (true, RelayLease(held: true, holder: owner.id, expires: Date(timeIntervalSince1970: Double(nowMs + durationMs) / 1000),
                                     takenOver: takenOver))
        }
    }

    public func releaseRelayLease(_ owner: RelayOwner) throws {
        _ = try transaction {
            try run("DELETE FROM relay_lease WHERE id = 1 AND owner = ?1", { sqlite3_bind_text($0, 1, owner.id, -1, Self.transient) })
            return (true, ())
        }
    }
}
