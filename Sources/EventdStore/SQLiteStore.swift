// The embedded store: one SQLite file per plugin.
import CSQLite
import Foundation

/// Survives restarts and plugin reloads. Thread-safe (SQLite serialized mode).
///
/// Several daemons on one host may share a state directory (scale-out): the
/// store runs in WAL mode with a busy timeout, and every write transaction
/// starts with `BEGIN IMMEDIATE`, so transactions of all processes run one at
/// a time and a ledger check is never stale by the time its entry commits.
public final class SQLiteStore: TransactionScopes, @unchecked Sendable {
    let db: OpaquePointer
    private let lock = NSLock()
    /// Held for a whole transaction (see SQLiteStore+Transactions).
    let transactionLock = NSRecursiveLock()
    private var getStmt: OpaquePointer?
    private var putStmt: OpaquePointer?
    private var deleteStmt: OpaquePointer?
    public let path: String
    public var location: String { path }

    /// Opens (creating if needed) the store at `path`.
    /// - Throws: `StoreError` when SQLite cannot open or prepare it.
    public init(path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "code \(rc)"
            sqlite3_close(handle)
            throw StoreError(description: "cannot open \(path): \(message)")
        }
        db = handle
        sqlite3_busy_timeout(db, Int32(Self.busyTimeoutMs))
        try exec("PRAGMA journal_mode=WAL")
        // Every commit is on disk when it returns (the WAL is synced): offsets reach Kafka only after the
        // transaction covering their events, so a power loss cannot drop effects whose offsets are committed.
        // In-flight markers are written unsynced (SQLiteStore+Transactions): they only need to outlive the process.
        try exec("PRAGMA synchronous=FULL")
        try exec("CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID")
        // The idempotency ledger: event ids handled per consumer group.
        try exec("CREATE TABLE IF NOT EXISTS ledger (grp TEXT NOT NULL, event_id TEXT NOT NULL, handled_at INTEGER NOT NULL, PRIMARY KEY (grp, event_id)) WITHOUT ROWID")
        try exec("CREATE INDEX IF NOT EXISTS ledger_age ON ledger(handled_at)")
        // The transactional outbox: events produced inside a committed handle, not yet acknowledged by the broker.
        try exec("CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, key BLOB, value BLOB, headers BLOB NOT NULL)")
        // Which daemon's relay publishes the outbox when several share this store (SQLiteStore+RelayLease).
        try exec(Self.relayLeaseSchema)
        // Deliveries in flight in the plugin: a row left behind is a crash.
        try exec("CREATE TABLE IF NOT EXISTS inflight (grp TEXT NOT NULL, topic TEXT NOT NULL, part INTEGER NOT NULL, off INTEGER NOT NULL, starts INTEGER NOT NULL, PRIMARY KEY (grp, topic, part, off)) WITHOUT ROWID")
        // Partition batches in flight in the plugin (group commit): a row left behind is a crash somewhere in the range.
        try exec("CREATE TABLE IF NOT EXISTS inflight_batch (grp TEXT NOT NULL, topic TEXT NOT NULL, part INTEGER NOT NULL, first_off INTEGER NOT NULL, last_off INTEGER NOT NULL, starts INTEGER NOT NULL, PRIMARY KEY (grp, topic, part, first_off)) WITHOUT ROWID")
        // Parked events of handlers that keep per-key order (SQLiteStore+Parking).
        try exec(Self.parkingSchema)
        getStmt = try prepare("SELECT value FROM kv WHERE key = ?1")
        putStmt = try prepare("INSERT INTO kv(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        deleteStmt = try prepare("DELETE FROM kv WHERE key = ?1")
    }

    /// How long one statement waits for another connection's lock.
    static let busyTimeoutMs = 5000

    func exec(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &err)
        guard rc == SQLITE_OK else {
            let message = err.map { String(cString: $0) } ?? "?"
            sqlite3_free(err)
            throw Self.error("\(path): \(sql): \(message)", rc)
        }
    }

    func prepare(_ sql: String) throws -> OpaquePointer {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw Self.error("\(path): prepare: \(String(cString: sqlite3_errmsg(db)))", rc)
        }
        return stmt
    }

    /// A store error from SQLite's result code `rc`: busy when another connection held the lock.
    static func error(_ description: String, _ rc: Int32) -> StoreError {
        let code = rc & 0xff
        return StoreError(description: description, code: code, isBusy: code == SQLITE_BUSY || code == SQLITE_LOCKED)
    }

    /// The error for a statement that returned `rc`.
    func failure(_ what: String, _ rc: Int32) -> StoreError {
        Self.error("\(path): \(what): \(String(cString: sqlite3_errmsg(db)))", rc)
    }

    /// Reads a value; calls `body` with its bytes, or nil when absent.
    /// - Returns: whatever `body` returns; `nil` result of lookup is passed as nil.
    public func withValue<R>(_ key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer?) -> R) throws -> R {
        lock.lock()
        defer { lock.unlock() }
        let stmt = getStmt!
        defer { sqlite3_reset(stmt); sqlite3_clear_bindings(stmt) }
        sqlite3_bind_blob(stmt, 1, key.baseAddress, Int32(key.count), nil)
        switch sqlite3_step(stmt) {
        case SQLITE_ROW:
            let length = Int(sqlite3_column_bytes(stmt, 0))
            return body(UnsafeRawBufferPointer(start: sqlite3_column_blob(stmt, 0), count: length))
        case SQLITE_DONE:
            return body(nil)
        case let rc:
            throw failure("get", rc)
        }
    }

    public func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws {
        lock.lock()
        defer { lock.unlock() }
        let stmt = putStmt!
        defer { sqlite3_reset(stmt); sqlite3_clear_bindings(stmt) }
        sqlite3_bind_blob(stmt, 1, key.baseAddress, Int32(key.count), nil)
        // A zero-length blob must still be non-NULL to satisfy NOT NULL.
        sqlite3_bind_zeroblob(stmt, 2, 0)
        if value.count > 0 { sqlite3_bind_blob(stmt, 2, value.baseAddress, Int32(value.count), nil) }
        let rc = sqlite3_step(stmt)
        guard rc == SQLITE_DONE else { throw failure("put", rc) }
    }

    /// Removes a key. Returns whether it existed.
    public func delete(_ key: UnsafeRawBufferPointer) throws -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let stmt = deleteStmt!
        defer { sqlite3_reset(stmt); sqlite3_clear_bindings(stmt) }
        sqlite3_bind_blob(stmt, 1, key.baseAddress, Int32(key.count), nil)
        let rc = sqlite3_step(stmt)
        guard rc == SQLITE_DONE else { throw failure("delete", rc) }
        return sqlite3_changes(db) > 0
    }

    deinit {
        sqlite3_finalize(getStmt)
        sqlite3_finalize(putStmt)
        sqlite3_finalize(deleteStmt)
        sqlite3_close(db)
    }
}
