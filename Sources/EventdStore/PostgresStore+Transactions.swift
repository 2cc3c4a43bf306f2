// Transactions over a plugin's PostgreSQL schema: one per handle or per
// partition batch, savepoints per event, and the ledger written inside them.
import Foundation

extension PostgresStore {
    /// Opens a transaction that holds this store's advisory lock until it ends (every daemon of the
    /// fleet waits for it) and whose commit waits for the WAL flush (durable before offsets move).
    func beginTransaction() throws {
        try execute("BEGIN; SET LOCAL synchronous_commit TO on; SELECT pg_advisory_xact_lock(\(lockKey))")
    }

    func execute(_ sql: String) throws {
        try sessionLock.withLock {
            if migrationPending { try completeMigration() }
            try session.simple(sql)
        }
    }

    public func isHandled(group: String, eventID: String) throws -> Bool {
        try run("SELECT true FROM ledger WHERE grp = $1 AND event_id = $2", [.text(group), .text(eventID)]) > 0
    }

    public func markHandled(group: String, eventID: String, at time: Date) throws {
        try run("INSERT INTO ledger(grp, event_id, handled_at) VALUES($1, $2, $3) ON CONFLICT DO NOTHING",
                [.text(group), .text(eventID), .int(Int64(time.timeIntervalSince1970))])
    }

    /// Forgets ledger entries older than `retention`, on one daemon of the fleet at a time: a daemon
    /// that finds another pruning this schema skips the round (returns 0).
    @discardableResult
    public func pruneLedger(olderThan retention: TimeInterval, now: Date) throws -> Int {
        try holdingPruneLock {
            try run("DELETE FROM ledger WHERE handled_at < $1", [.int(Int64(now.timeIntervalSince1970 - retention))])
        } ?? 0
    }

    /// Runs `body` holding this schema's prune lock (a session-level advisory lock);
    /// nil without running it when another session holds the lock.
    public func holdingPruneLock<R>(_ body: () throws -> R) throws -> R? {
        let key = "hashtext('eventd.prune'), hashtext('\(schema)')"
        return try sessionLock.withLock {
            var got = false
            try session.run("SELECT pg_try_advisory_lock(\(key))") { got = $0.int(0) != 0 }
            guard got else { return nil }
            defer { _ = try? session.run("SELECT pg_advisory_unlock(\(key))") }
            return try body()
        }
    }

    public func ledgerCount() throws -> Int {
        var count: Int64 = 0
        try run("SELECT count(*) FROM ledger") { count = $0.int(0) }
        return Int(count)
    }
}
