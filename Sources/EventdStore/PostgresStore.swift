// The shared store: one PostgreSQL schema per plugin, reached by every daemon
// of a fleet, so state, ledger, outbox and parked keys follow a partition to
// whichever machine holds it.
import Foundation

/// Thread-safe: one session per store for reads and markers, calls serialised on it as on SQLite's one
/// connection (a transaction open on one thread is joined by the state calls of that thread's plugin).
/// Transactions of one store run one at a time across every daemon sharing the database (an advisory
/// lock held while this daemon's transactions or their commits are under way), and each commit checks
/// the schema version it was handled on, so a ledger check is never stale by the time its entry commits.
/// Commits go out on a session of their own (PostgresStore+Transactions), the outbox is claimed on a
/// third (PostgresStore+Outbox).
public final class PostgresStore: TransactionScopes, @unchecked Sendable {
    /// The plugin's schema, e.g. `eventd_payment`.
    public let schema: String
    let url: String
    /// Guards `session` for one statement; `transactionLock` for a whole transaction.
    let sessionLock = NSRecursiveLock()
    let transactionLock = NSRecursiveLock()
    let session: PostgresConnection
    /// Claims outbox rows (lazily opened; relay thread only).
    var relaySession: PostgresConnection?
    /// The rows the relay session holds (its claim), oldest first. Guarded by `relayLock`.
    var claimedSeqs: [Int64] = []
    let relayLock = NSLock()
    /// The advisory lock key pair of this store's transactions.
    let lockKey: String
    /// The server was unreachable at start: the schema is migrated before the first statement that reaches it
    /// (PostgresStore+Startup). Guarded by `sessionLock`.
    var migrationPending = false

    public var location: String { "\(PostgresConnection.redacted(url)) schema \(schema)" }

    /// The schema of `plugin`'s store: its name, lower case, other characters as `_`, prefixed `eventd_`.
    public static func schemaName(plugin: String) -> String {
        "eventd_" + String(plugin.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }

    /// Connects to `url` and brings the plugin's schema to the current version.
    /// - Parameter waitForServer: a server that cannot be reached now is no error (the daemon's stores): the
    ///   store reports itself unreachable and migrates when the server answers (PostgresStore+Startup).
    /// - Throws: `StoreError` (`isUnavailable` when the server cannot be reached).
    public init(url: String, plugin: String, waitForServer: Bool = false) throws {
        self.url = url
        schema = Self.schemaName(plugin: plugin)
        lockKey = "hashtext('eventd.transaction'), hashtext('\(schema)')"
        committer = DispatchQueue(label: "eventd.commit.\(schema)")
        session = try PostgresConnection(url: url, setup: Self.sessionSetup(schema), name: schema, waitForServer: waitForServer)
        do { try PostgresSchema.migrate(session, schema: schema) } catch let error as StoreError where waitForServer && error.isUnavailable {
            migrationPending = true
        }
    }

    /// Every session works in the plugin's schema; a commit waits for its WAL flush only on the commit
    /// session (`durable`: transactions), the in-flight markers written on the others need only outlive the process.
    static func sessionSetup(_ schema: String, durable: Bool = false) -> [String] {
        ["SET search_path TO \"\(schema)\"", "SET synchronous_commit TO \(durable ? "on" : "off")", "SET application_name TO 'devtrip-eventd'"]
    }

    /// Runs `body` on the session, alone, once the schema is migrated (a start with the server down defers it).
    func withSession<R>(_ body: (PostgresConnection) throws -> R) throws -> R {
        try sessionLock.withLock {
            if migrationPending { try completeMigration() }
            return try body(session)
        }
    }

    /// Runs one statement on the session.
    @discardableResult
    func run(_ sql: String, _ params: [PostgresValue] = [], row: (PostgresRow) throws -> Void = { _ in }) throws -> Int {
        try withSession { session in try session.run(sql, params, row: row) }
    }

    /// The open transaction's writes, sent at its commit (nil: none open). Guarded by `sessionLock`.
    var pending: PendingWrites?
    /// Committed values read or written inside transactions, and the batch's ledger look-ahead.
    var cache = ReadCache()
    /// The schema version the open transaction was handled on: its commit expects to find it there.
    var expected: Int64?
    /// Transactions whose commit was sent and is not yet settled, oldest first: the open transaction
    /// reads their writes over the cache's. Guarded by `sessionLock`.
    var inFlight: [InFlightCommit] = []
    /// The `session`'s number when it took the schema's lock (nil: not held), and when. Guarded by `sessionLock`.
    var lockedSession: Int?
    var lockedAt: ContinuousClock.Instant?
    /// Runs the commits, one at a time and in order, on `commitSession` (PostgresStore+Transactions).
    let committer: DispatchQueue
    /// Opened on the committer's first commit; used on its queue only.
    var commitSession: PostgresConnection?

    /// Inside a transaction: the transaction's own write, else that of a commit still on its way, else the
    /// cached committed value, else the server's (remembered: nobody else commits to the schema while this
    /// daemon holds its lock, and a key no commit on its way wrote holds the same value before and after them).
    public func withValue<R>(_ key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer?) -> R) throws -> R {
        try withSession { session in
            var result: R?
            guard pending != nil else {
                try session.run("SELECT value FROM kv WHERE key = $1", [.bytes(Array(key))]) { result = body($0.raw(0)) }
                return result ?? body(nil)
            }
            let bytes = Array(key)
            if let known = pending?.state[bytes] ?? sentValue(bytes) ?? cache[bytes] {
                return known.bytes.map { $0.withUnsafeBytes(body) } ?? body(nil)
            }
            var found = KnownValue.absent
            try session.run("SELECT value FROM kv WHERE key = $1", [.bytes(bytes)]) { row in
                let raw = row.raw(0)
                found = .value(Array(raw))
                result = body(raw)
            }
            cache.remember(bytes, found)
            return result ?? body(nil)
        }
    }

    /// Inside a transaction, kept until its commit; otherwise written (and counted as a commit) at once.
    public func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws {
        try withSession { session in
            if pending != nil { return pending!.write(Array(key), .value(Array(value))) }
            cache.clear()
            try session.run("""
                WITH w AS (INSERT INTO kv(key, value) VALUES($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value)
                UPDATE commits SET n = n + 1
                """, [.bytes(Array(key)), .bytes(Array(value))])
        }
    }

    public func delete(_ key: UnsafeRawBufferPointer) throws -> Bool {
        try withSession { session in
            if pending != nil {
                let existed = try withValue(key) { $0 != nil }
                pending!.write(Array(key), .absent)
                return existed
            }
            cache.clear()
            var deleted: Int64 = 0
            try session.run("""
                WITH d AS (DELETE FROM kv WHERE key = $1 RETURNING 1), c AS (UPDATE commits SET n = n + 1)
                SELECT count(*) FROM d
                """, [.bytes(Array(key))]) { deleted = $0.int(0) }
            return deleted > 0
        }
    }

    /// Keys under `prefix` with their values, in key order (admin reads).
    public func entries(prefix: [UInt8], limit: Int) throws -> [(key: [UInt8], value: [UInt8])] {
        var out: [(key: [UInt8], value: [UInt8])] = []
        try run("SELECT key, value FROM kv WHERE substring(key FROM 1 FOR length($1::bytea)) = $1::bytea ORDER BY key LIMIT $2::bigint",
                [.bytes(prefix), .int(Int64(limit))]) { out.append(($0.bytes(0) ?? [], $0.bytes(1) ?? [])) }
        return out
    }
}
