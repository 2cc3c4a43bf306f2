// Transactions over a plugin's PostgreSQL schema: one per handle or per
// partition batch, savepoints per event, and the ledger written inside them.
// A transaction lives on the client until its commit, which a committer thread
// sends as one statement while the next transaction is handled on top of it.
import Foundation

/// A transaction whose commit was sent: what it wrote, the schema version it expected and the one it sets.
struct InFlightCommit {
    let expected: Int64
    let next: Int64
    let writes: PendingWrites
    let ticket: PendingCommit
}

extension PostgresStore {
    /// Whether `session` holds the schema's lock (a session-level advisory lock: a lost session lost it).
    var holdsLock: Bool { lockedSession == session.sessionNumber && session.isOpen }

    /// How long a daemon keeps the lock across transactions that begin on top of each other's commits.
    static var lockTurn: Duration { .milliseconds(200) }

    /// The lock was taken longer than `lockTurn` ago (the next transaction lets it go first).
    var heldTooLong: Bool { lockedAt.map { ContinuousClock.now - $0 > Self.lockTurn } ?? false }

    /// Opens a transaction on the client: its writes stay here until its commit is sent. The schema's
    /// lock (every daemon of the fleet waits for it) is taken by the first transaction and held while
    /// later ones begin on top of the commits still on their way; it goes once none is open and the last
    /// commit landed (`releaseIfIdle`). The schema version read when the lock is taken says whether cached values hold.
    func beginTransaction() throws {
        // After a failed commit the ones sent after it fail too (or, when it committed after all, not):
        // wait until every commit sent has its outcome, then read the version again.
        // So does a daemon that held the lock for `lockTurn` without a pause: it lets the lock go between
        // two transactions, and another daemon waiting for it goes first.
        while let last = sessionLock.withLock({ () -> PendingCommit? in
            settle()
            guard let last = inFlight.last, cache.generation == nil || !holdsLock || heldTooLong else { return nil }
            return last.ticket
        }) {
            last.waitForOutcome()
        }
        try withSession { session in
            settle()
            if holdsLock, heldTooLong, inFlight.isEmpty { unlock() }
            if !holdsLock {
                do {
                    let count = try session.simpleValue("SELECT pg_advisory_lock(\(lockKey)); SELECT n FROM commits")
                    guard let count else { throw StoreError(description: "\(location): the commits table has no row") }
                    lockedSession = session.sessionNumber
                    lockedAt = .now
                    cache.begin(generation: count)
                } catch {
                    _ = try? session.simpleValue("SELECT pg_advisory_unlock_all()")
                    throw error
                }
            } else if cache.generation == nil {
                guard let count = try session.simpleValue("SELECT n FROM commits") else {
                    throw StoreError(description: "\(location): the commits table has no row")
                }
                cache.begin(generation: count)
            }
            expected = inFlight.last?.next ?? cache.generation
            pending = PendingWrites()
        }
    }

    /// Commits (durable on return) or rolls back the open transaction.
    func endTransaction(commit: Bool) throws {
        guard commit else {
            _ = sessionLock.withLock { takeOpen(endingBatch: true) }
            return releaseIfIdle()
        }
        try sessionLock.withLock { send() }.wait()
    }

    /// Sends the batch transaction's commit and lets the next transaction begin.
    public func sendBatch() throws -> PendingCommit {
        defer { transactionLock.unlock() }
        return sessionLock.withLock { send() }
    }

    /// Hands the open transaction's writes to the committer: one statement, its own transaction on the
    /// commit session, which checks that the schema's version is still the one expected. Under `sessionLock`.
    /// - Parameter endingBatch: false for a part of a batch (the batch's ledger look-ahead stays).
    private func send(endingBatch: Bool = true) -> PendingCommit {
        let (writes, version) = takeOpen(endingBatch: endingBatch)
        let ticket = PendingCommit { [weak self] in self?.releaseIfIdle() }
        guard let writes, let version, !writes.isEmpty else {
            // Nothing to write: durable once the commits sent before it are (the batch's earlier parts).
            if let previous = inFlight.last?.ticket {
                committer.async { [self] in
                    ticket.resolve(previous.waitForOutcome().map { _ in version ?? 0 })
                    releaseIfIdle()
                }
            } else {
                ticket.resolve(.success(version ?? 0))
            }
            return ticket
        }
        // Below 2^62: a write outside transactions raises the version by one (PostgresStore.put).
        var next = Int64.random(in: 1..<(1 << 62))
        while next == version { next = Int64.random(in: 1..<(1 << 62)) }
        inFlight.append(InFlightCommit(expected: version, next: next, writes: writes, ticket: ticket))
        committer.async { [self, next] in
            ticket.resolve(Result { try flush(writes, expected: version, next: next) })
            // The lock goes as soon as nothing is open or on its way, not when the engine waits: a thread that
            // sent this commit may be waiting for another schema's lock, which another daemon holds the same way.
            releaseIfIdle()
        }
        return ticket
    }

    /// On the committer's queue: the writes in one statement, committed (the WAL flushed) when it returns.
    /// - Returns: the schema's version after it (`next`).
    private func flush(_ writes: PendingWrites, expected version: Int64, next: Int64) throws -> Int64 {
        if commitSession == nil {
            commitSession = try PostgresConnection(url: url, setup: Self.sessionSetup(schema, durable: true), name: schema)
        }
        var after: Int64?
        try commitSession!.run(PendingWrites.flushSQL, writes.parameters + [.int(version), .int(next)]) { after = $0.int(0) }
        guard let after else {
            // Another writer committed (or the commit this one was begun on failed): its events are handled again.
            throw StoreError(description: "\(location): the schema changed while the batch was handled; it is handled again", isBusy: true)
        }
        return after
    }

    /// Takes the outcomes of finished commits, oldest first, into the cache. Under `sessionLock`.
    func settle() {
        while let first = inFlight.first, let result = first.ticket.result {
            inFlight.removeFirst()
            switch result {
            case .success(let after): cache.committed(first.writes, before: first.expected, after: after)
            case .failure: cache.clear()
            }
        }
    }

    /// Lets the schema's lock go when no transaction is open and every commit sent is settled, so
    /// that other daemons' transactions go between this daemon's batches.
    func releaseIfIdle() {
        sessionLock.withLock {
            settle()
            guard pending == nil, inFlight.isEmpty, holdsLock else { return }
            unlock()
        }
    }

    /// Ends the open transaction on the client: its writes and the version it was handled on. Under `sessionLock`.
    private func takeOpen(endingBatch: Bool) -> (writes: PendingWrites?, version: Int64?) {
        defer {
            pending = nil
            expected = nil
            if endingBatch { cache.endBatch() }
        }
        return (pending, expected)
    }

    /// Lets the schema's lock go. Under `sessionLock`.
    private func unlock() {
        lockedSession = nil
        _ = try? session.simpleValue("SELECT pg_advisory_unlock(\(lockKey))")
    }

    /// A key's value as a commit still on its way wrote it (the newest), nil when none did.
    func sentValue(_ key: [UInt8]) -> KnownValue? {
        for commit in inFlight.reversed() {
            if let value = commit.writes.state[key] { return value }
        }
        return nil
    }

    /// Savepoints are marks in the pending writes: nothing reaches the server before the commit.
    func beginSavepoint() throws {
        sessionLock.withLock { pending?.savepoint() }
    }

    func endSavepoint(keep: Bool) throws {
        sessionLock.withLock {
            pending?.endSavepoint(keep: keep)
            guard keep, let events = pending?.keptEvents, events >= Self.partEvents else { return }
            // A long batch is committed in parts, between two events: the part's commit goes to the server
            // while the next part is handled, so that only the last part's is waited for. The batch's wait
            // covers every part (each expects the version the one before it sets); a part that committed
            // before a later one failed stays, and its events are skipped when the batch is read again.
            _ = send(endingBatch: false)
            expected = inFlight.last?.next ?? cache.generation
            pending = PendingWrites()
        }
    }

    /// Events a part of a batch holds before it is sent.
    static var partEvents: Int { 250 }

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
                if inFlight.contains(where: { $0.writes.isHandled(group: group, eventID: eventID) }) { return true }
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
