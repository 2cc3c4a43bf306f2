// Transactions over a plugin's store: the idempotency ledger, the outbox and
// the in-flight markers that detect a handler crashing the daemon.
import CSQLite
import Foundation

extension SQLiteStore {
    /// Transactions begin with BEGIN IMMEDIATE: transactions of one store run one at a time, in this
    /// process (TransactionScopes) and across the processes that share the file.
    func execute(_ sql: String) throws { try exec(sql) }

    /// How long a transaction waits for the write lock another process holds
    /// before it gives up with a busy (transient) error.
    static let writePatience = Duration.seconds(30)

    /// Takes the write lock now, so that what the transaction reads (the
    /// ledger) cannot change before it commits. Each attempt waits the busy timeout;
    /// gives up with a busy (transient) error after `writePatience`.
    func beginTransaction() throws {
        let deadline = ContinuousClock.now + Self.writePatience
        while true {
            do {
                try exec("BEGIN IMMEDIATE")
                return
            } catch let error as StoreError where error.isBusy && ContinuousClock.now < deadline {
                continue
            }
        }
    }

    /// Runs one autocommit write, again while another process holds the store
    /// (a statement that found the store busy changed nothing), for up to `writePatience`.
    func patiently(_ body: () throws -> Void) throws {
        let deadline = ContinuousClock.now + Self.writePatience
        while true {
            do {
                return try body()
            } catch let error as StoreError where error.isBusy && ContinuousClock.now < deadline {
                continue
            }
        }
    }

    func run(_ sql: String, _ bind: (OpaquePointer) -> Void, _ row: ((OpaquePointer) -> Void)? = nil) throws {
        let stmt = try prepare(sql)
        defer { sqlite3_finalize(stmt) }
        bind(stmt)
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_ROW { row?(stmt); continue }
            if rc == SQLITE_DONE { return }
            throw failure(sql, rc)
        }
    }

    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Whether `eventID` was already handled by consumer group `group`.
    public func isHandled(group: String, eventID: String) throws -> Bool {
        var found = false
        try run("SELECT 1 FROM ledger WHERE grp = ?1 AND event_id = ?2", {
            sqlite3_bind_text($0, 1, group, -1, Self.transient)
            sqlite3_bind_text($0, 2, eventID, -1, Self.transient)
        }, { _ in found = true })
        return found
    }

    public func markHandled(group: String, eventID: String, at time: Date) throws {
        try run("INSERT OR IGNORE INTO ledger(grp, event_id, handled_at) VALUES(?1, ?2, ?3)", {
            sqlite3_bind_text($0, 1, group, -1, Self.transient)
            sqlite3_bind_text($0, 2, eventID, -1, Self.transient)
            sqlite3_bind_int64($0, 3, Int64(time.timeIntervalSince1970))
        })
    }

    /// Forgets ledger entries older than `retention`; returns how many.
    @discardableResult
    public func pruneLedger(olderThan retention: TimeInterval, now: Date) throws -> Int {
        try run("DELETE FROM ledger WHERE handled_at < ?1", { sqlite3_bind_int64($0, 1, Int64(now.timeIntervalSince1970 - retention)) })
        return Int(sqlite3_changes(db))
    }

    public func ledgerCount() throws -> Int {
        var count = 0
        try run("SELECT count(*) FROM ledger", { _ in }, { count = Int(sqlite3_column_int64($0, 0)) })
        return count
    }

    /// Adds an event to the outbox (inside the current transaction).
    public func enqueue(topic: String, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
                        headers: [(name: String, value: [UInt8]?)]) throws {
        try run("INSERT INTO outbox(topic, key, value, headers) VALUES(?1, ?2, ?3, ?4)", { stmt in
            sqlite3_bind_text(stmt, 1, topic, -1, Self.transient)
            if let key { sqlite3_bind_blob(stmt, 2, key.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(key.count), Self.transient) }
            if let value { sqlite3_bind_blob(stmt, 3, value.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(value.count), Self.transient) }
            let encoded = Self.encode(headers)
            _ = encoded.withUnsafeBytes { sqlite3_bind_blob(stmt, 4, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32($0.count), Self.transient) }
        })
    }

    /// The oldest outbox rows, in order.
    public func outbox(limit: Int) throws -> [OutboxRecord] {
        var rows: [OutboxRecord] = []
        try run("SELECT seq, topic, key, value, headers FROM outbox ORDER BY seq LIMIT ?1", { sqlite3_bind_int64($0, 1, Int64(limit)) }) { stmt in
            func blob(_ column: Int32) -> [UInt8]? {
                guard sqlite3_column_type(stmt, column) != SQLITE_NULL else { return nil }
                let n = Int(sqlite3_column_bytes(stmt, column))
                guard n > 0, let p = sqlite3_column_blob(stmt, column) else { return [] }
                return Array(UnsafeRawBufferPointer(start: p, count: n))
            }
            rows.append(OutboxRecord(seq: sqlite3_column_int64(stmt, 0), topic: String(cString: sqlite3_column_text(stmt, 1)),
                                     key: blob(2), value: blob(3), headers: Self.decode(blob(4) ?? [])))
        }
        return rows
    }

    public func deleteOutbox(through seq: Int64) throws {
        // Patiently: rows left behind would be published again.
        try patiently { try run("DELETE FROM outbox WHERE seq <= ?1", { sqlite3_bind_int64($0, 1, seq) }) }
    }

    /// Headers as length-prefixed name/value pairs (a null value has length 0xFFFFFFFF).
    static func encode(_ headers: [(name: String, value: [UInt8]?)]) -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        for (name, value) in headers {
            let n = Array(name.utf8)
            u32(UInt32(n.count))
            out += n
            if let value { u32(UInt32(value.count)); out += value } else { u32(UInt32.max) }
        }
        return out
    }

    static func decode(_ bytes: [UInt8]) -> [(name: String, value: [UInt8]?)] {
        var i = 0
        func u32() -> UInt32? {
            guard i + 4 <= bytes.count else { return nil }
            defer { i += 4 }
            return UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
        }
        var out: [(String, [UInt8]?)] = []
        while let n = u32(), i + Int(n) <= bytes.count {
            let name = String(decoding: bytes[i..<(i + Int(n))], as: UTF8.self)
            i += Int(n)
            guard let v = u32() else { break }
            if v == UInt32.max { out.append((name, nil)); continue }
            guard i + Int(v) <= bytes.count else { break }
            out.append((name, Array(bytes[i..<(i + Int(v))])))
            i += Int(v)
        }
        return out
    }
}
