// Transactions, savepoints and batches as both SQL backends run them: one
// transaction at a time per store in this process (a recursive lock held for the
// whole transaction, so the owning thread's state calls join it), the backend
// saying only how a transaction begins and how a statement runs.
import Foundation

protocol TransactionScopes: PluginStore {
    /// Held for a whole transaction.
    var transactionLock: NSRecursiveLock { get }
    /// Opens a write transaction that excludes every other writer of the store (other daemons too).
    func beginTransaction() throws
    /// Runs statements without parameters (COMMIT, ROLLBACK, SAVEPOINT).
    func execute(_ sql: String) throws
    /// Commits (on disk on return) or rolls back the open transaction.
    func endTransaction(commit: Bool) throws
    /// Opens a savepoint in the open transaction; `endSavepoint` keeps or undoes its writes.
    func beginSavepoint() throws
    func endSavepoint(keep: Bool) throws
}

extension TransactionScopes {
    /// SQL's own: COMMIT or ROLLBACK.
    func endTransaction(commit: Bool) throws { try execute(commit ? "COMMIT" : "ROLLBACK") }
    func beginSavepoint() throws { try execute("SAVEPOINT event") }
    func endSavepoint(keep: Bool) throws {
        if !keep { try execute("ROLLBACK TO event") }
        try execute("RELEASE event")
    }
}

extension TransactionScopes {
    /// Runs `body` in one transaction, committing when it returns `commit` and rolling back otherwise:
    /// a batch of one.
    public func transaction<R>(_ body: () throws -> (commit: Bool, result: R)) throws -> R {
        try beginBatch()
        let outcome: (commit: Bool, result: R)
        do {
            outcome = try body()
        } catch {
            rollbackBatch()
            throw error
        }
        if outcome.commit { try commitBatch() } else { rollbackBatch() }
        return outcome.result
    }

    /// Inside a transaction: keeps `body`'s writes when it returns `commit`, rolls back to where it started otherwise.
    public func savepoint<R>(_ body: () throws -> (commit: Bool, result: R)) throws -> R {
        transactionLock.lock()
        defer { transactionLock.unlock() }
        try beginSavepoint()
        let outcome: (commit: Bool, result: R)
        do {
            outcome = try body()
        } catch {
            try? endSavepoint(keep: false)
            throw error
        }
        try endSavepoint(keep: outcome.commit)
        return outcome.result
    }

    /// Opens a write transaction that stays open on this thread across calls (a partition batch, group
    /// commit) until `commitBatch` or `rollbackBatch`; `savepoint` scopes each event inside it, and the
    /// plugin's own state calls join it. Other threads' transactions on this store wait until it ends.
    public func beginBatch() throws {
        transactionLock.lock()
        do { try beginTransaction() } catch {
            transactionLock.unlock()
            throw error
        }
    }

    /// Commits the batch transaction; on return it is durable (one sync for the whole batch).
    public func commitBatch() throws {
        defer { transactionLock.unlock() }
        do { try endTransaction(commit: true) } catch {
            try? endTransaction(commit: false)
            throw error
        }
    }

    /// Commits at once (SQLite: the commit is the sync): durable on return.
    public func sendBatch() throws -> PendingCommit {
        try commitBatch()
        return .durable
    }

    /// Rolls the batch transaction back (nothing of it stays).
    public func rollbackBatch() {
        try? endTransaction(commit: false)
        transactionLock.unlock()
    }

    /// Runs `body` while no transaction of this process is open (for the relay and housekeeping).
    public func outsideTransactions<R>(_ body: () throws -> R) rethrows -> R {
        transactionLock.lock()
        defer { transactionLock.unlock() }
        return try body()
    }
}
