// Transactions over a plugin's PostgreSQL schema: one per handle or per
// partition batch, savepoints per event, and the ledger written inside them.
import Foundation

extension PostgresStore {
    /// Opens a transaction that holds this store's advisory lock until it ends (every daemon of the
    /// fleet waits for it) and whose commit waits for the WAL flush (durable before offsets move). The
    /// commit count read under the lock says whether the values cached from earlier transactions still hold.
    func beginTransaction() throws {
        try withSession { session in
            do {
                let count = try session.simpleValue("BEGIN; SET LOCAL synchronous_commit TO on; SELECT pg_advisory_xact_lock(\(lockKey)); SELECT n FROM commits")
                guard let count else { throw StoreError(description: "\(location): the commits table has no row") }
                cache.begin(generation: count)
                beganAt = count
                pending = PendingWrites()
            } catch {
                try? session.simple("ROLLBACK")
                throw error
            }
        }
    }

    /// Sends the transaction's writes in one statement, then commits; or rolls back (nothing was sent).
    func endTransaction(commit: Bool) throws {
        try withSession { session in
            let writes = pending
            pending = nil
            cache.endBatch()
            guard commit, let writes else {
                try session.simple(commit ? "COMMIT" : "ROLLBACK")
                return
            }
            var after: Int64?
            do {
                if !writes.isEmpty { try session.run(PendingWrites.flushSQL, writes.parameters) { after = $0.int(0) } }
                try session.simple("COMMIT")
            } catch {
                cache.clear()
                throw error
            }
            if let after { cache.committed(writes, before: beganAt, after: after) }
        }
    }

    /// Savepoints are marks in the pending writes: nothing reaches the server before the commit.
    func beginSavepoint() throws {
        sessionLock.withLock { pending?.savepoint() }
    }

    func endSavepoint(keep: Bool) throws {
        sessionLock.withLock { pending?.endSavepoint(keep: keep) }
    }

    func execute(_ sql: String) throws {
        try withSession { session in try session.simple(sql) }
    }

    public var prefetchesLedger: Bool { true }

    /// Inside a batch: which of its events' ids the ledger already holds, in one query.
    ///
    /// One primary-key probe per id (the `LATERAL … LIMIT 1` keeps the planner from anything else).
    /// The plain `event_id = ANY($2)` was planned once, generically, while the ledger was empty, and
    /// that plan then scanned the group's whole ledger comparing every row with every id: 40 ms per
    /// batch at 20,000 entries, 60 % of the server's CPU in the payment benchmark.
    public func prefetchHandled(group: String, eventIDs: [String]) throws {
        try withSession { session in
            guard pending != nil, !eventIDs.isEmpty else { return }
            var handled: Set<String> = []
            try session.run("""
                SELECT u.id FROM unnest($2::text[]) AS u(id),
                  LATERAL (SELECT 1 FROM ledger WHERE grp = $1 AND event_id = u.id LIMIT 1) AS found
                """, [.text(group), .array(.text, eventIDs.map { Array($0.utf8) })]) { handled.insert($0.text(0)) }
            cache.prefetch(group: group, ids: Set(eventIDs), handled: handled)
        }
    }

    public func isHandled(group: String, eventID: String) throws -> Bool {
        try withSession { session in
            if let pending {
                if pending.isHandled(group: group, eventID: eventID) { return true }
                if let known = cache.prefetchedHandled(group: group, eventID: eventID) { return known }
            }
            return try session.run("SELECT true FROM ledger WHERE grp = $1 AND event_id = $2", [.text(group), .text(eventID)]) > 0
        }
    }

    public func markHandled(group: String, eventID: String, at time: Date) throws {
        try withSession { session in
            let seconds = Int64(time.timeIntervalSince1970)
            if pending != nil { return pending!.markHandled(.init(group: group, eventID: eventID, time: seconds)) }
            try session.run("INSERT INTO ledger(grp, event_id, handled_at) VALUES($1, $2, $3) ON CONFLICT DO NOTHING",
                            [.text(group), .text(eventID), .int(seconds)])
        }
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
        return try withSession { session in
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
