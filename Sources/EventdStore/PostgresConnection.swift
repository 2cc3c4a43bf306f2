// One libpq connection: prepared statements with binary parameters and results,
// SQLSTATEs turned into the store's transient/unavailable errors, and a reconnect
// on the next use after the server went away. Not thread-safe: its owner serialises calls.
import CLibPQ
import Foundation

final class PostgresConnection {
    private var conn: OpaquePointer?
    private let url: String
    /// Statements run after every (re)connect (search path, session settings).
    private let setup: [String]
    /// Prepared statement names by SQL text; prepared statements die with the session.
    private var prepared: [String: String] = [:]
    /// A transaction was open when the last statement returned: a lost session is not silently
    /// replaced then (the statements that follow would run outside it); ROLLBACK ends it.
    private var inTransaction = false
    /// The store this session serves, for StoreHealth; reported lost until a statement succeeds again.
    private let name: String
    private var reportedLost = false
    /// Sessions opened so far: a session-level lock taken on one is gone once it is replaced.
    private(set) var sessionNumber = 0

    /// - Parameter waitForServer: a server that cannot be reached is not an error: the session is
    ///   reported lost (StoreHealth) and connects on its first use once the server answers.
    init(url: String, setup: [String], name: String, waitForServer: Bool = false) throws {
        self.url = url
        self.setup = setup
        self.name = name
        do { try connect() } catch let error as StoreError where waitForServer && error.isUnavailable {
            _ = lost(error.description)
        }
    }

    deinit { PQfinish(conn) }

    private func connect() throws {
        PQfinish(conn)
        prepared = [:]
        conn = PQconnectdb(url)
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = conn.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            PQfinish(conn)
            conn = nil
            throw StoreError.unavailable("cannot connect to \(Self.redacted(url)): \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        // Notices (a ROLLBACK with nothing open, an index created) are not errors: libpq would print them on stderr.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        sessionNumber += 1
        for sql in setup { try simple(sql) }
    }

    /// Connects again when the server closed the session (a restart, a network cut), unless a
    /// transaction was open on it: that one is gone, and only ROLLBACK may follow.
    private func live() throws -> OpaquePointer {
        if let conn, PQstatus(conn) == CONNECTION_OK { return conn }
        guard !inTransaction else { throw lost("the connection was lost inside a transaction; it was rolled back") }
        do { try connect() } catch let error as StoreError {
            throw lost(error.description)
        }
        return conn!
    }

    private func lost(_ reason: String) -> StoreError {
        if !reportedLost {
            reportedLost = true
            StoreHealth.shared.unreachable(name, reason: reason)
        }
        return .unavailable(reason)
    }

    /// Whether the current session is open (not lost since its last statement).
    var isOpen: Bool { conn.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// Rolls back the transaction open on this session, if any.
    func endClaim() throws {
        if inTransaction { try simple("ROLLBACK") }
    }

    /// Runs one or more statements without parameters (BEGIN, COMMIT, SET).
    func simple(_ sql: String) throws { _ = try simpleValue(sql) }

    /// Runs one or more statements without parameters.
    /// - Returns: the last statement's first value as an integer, when it returned one.
    func simpleValue(_ sql: String) throws -> Int64? {
        if sql == "ROLLBACK", inTransaction, conn.map({ PQstatus($0) != CONNECTION_OK }) ?? true {
            inTransaction = false   // the server rolled it back when the session ended
            return nil
        }
        let conn = try live()
        let result = PQexec(conn, sql)
        defer { PQclear(result) }
        try check(result, sql)
        guard PQntuples(result) > 0, PQnfields(result) > 0, PQgetisnull(result, 0, 0) == 0 else { return nil }
        return Int64(String(cString: PQgetvalue(result, 0, 0)))   // a simple query's results are text
    }

    /// Runs `sql` (prepared once per session) with binary parameters; calls `row` per result row.
    /// - Returns: the rows the statement affected.
    @discardableResult
    func run(_ sql: String, _ params: [PostgresValue] = [], row: (PostgresRow) throws -> Void = { _ in }) throws -> Int {
        let conn = try live()
        let name: String
        if let known = prepared[sql] {
            name = known
        } else {
            name = "s\(prepared.count)"
            let result = PQprepare(conn, name, sql, Int32(params.count), nil)
            defer { PQclear(result) }
            try check(result, sql)
            prepared[sql] = name
        }
        let buffers = params.map(\.bytes)
        let lengths = buffers.map { Int32($0?.count ?? 0) }
        let formats = [Int32](repeating: 1, count: params.count)
        let result = withPointers(buffers) { values in
            PQexecPrepared(conn, name, Int32(params.count), values, lengths, formats, 1)
        }
        defer { PQclear(result) }
        try check(result, sql)
        for index in 0..<PQntuples(result) { try row(PostgresRow(result: result!, index: index)) }
        return Int(String(cString: PQcmdTuples(result))) ?? Int(PQntuples(result))
    }

    private func withPointers<R>(_ buffers: [[UInt8]?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        // Copies with a stable address for the call (libpq reads them synchronously).
        let copies: [UnsafeMutablePointer<CChar>?] = buffers.map { bytes in
            guard let bytes else { return nil }
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
            bytes.withUnsafeBytes { raw in
                if raw.count > 0 { UnsafeMutableRawPointer(p).copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
            }
            return p
        }
        defer { copies.forEach { $0?.deallocate() } }
        return body(copies.map { $0.map { UnsafePointer($0) } })
    }

    private func check(_ result: OpaquePointer?, _ sql: String) throws {
        let status = result.map(PQresultStatus) ?? PGRES_FATAL_ERROR
        // A lost session keeps the last known value: it had a transaction open or not.
        if let conn, PQstatus(conn) == CONNECTION_OK { inTransaction = PQtransactionStatus(conn) != PQTRANS_IDLE }
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK {
            if reportedLost {
                reportedLost = false
                StoreHealth.shared.reachable(name)
            }
            return
        }
        let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) } ?? ""
        let message = (result.flatMap { String(cString: PQresultErrorMessage($0)) }).flatMap { $0.isEmpty ? nil : $0 }
            ?? conn.map { String(cString: PQerrorMessage($0)) } ?? "no connection"
        let description = "\(Self.redacted(url)): \(sql.prefix(80)): \(message.trimmingCharacters(in: .whitespacesAndNewlines))"
        let lost = conn.map { PQstatus($0) != CONNECTION_OK } ?? true
        if lost || state.hasPrefix("08") || state.hasPrefix("57P") || state == "53300" {
            throw self.lost(description)
        }
        // Serialization failure, deadlock, lock not available: nothing wrong with the event, try again.
        let transient = ["40001", "40P01", "55P03"].contains(state)
        throw StoreError(description: description, code: Int32(truncatingIfNeeded: state.hashValue & 0x7fff_ffff), isBusy: transient)
    }

    /// The URL without a password, for messages.
    static func redacted(_ url: String) -> String {
        url.replacing(/:[^:@\/]*@/, with: ":***@").replacing(/password=[^&\s]*/, with: "password=***")
    }
}

/// A statement parameter, sent in PostgreSQL's binary format.
enum PostgresValue {
    case int(Int64)
    case text(String)
    case bytes([UInt8])
    case null
    /// A one-dimensional array of elements already in their binary form (nil: NULL).
    case array(ElementType, [[UInt8]?])

    /// Element types of arrays, by their type oid.
    enum ElementType: Int32 {
        case bytea = 17
        case int8 = 20
        case text = 25
    }

    var bytes: [UInt8]? {
        switch self {
        case .int(let v): Self.bigEndian(v)
        case .text(let s): Array(s.utf8)
        case .bytes(let b): b
        case .null: nil
        case .array(let type, let elements): Self.array(type, elements)
        }
    }

    static func bigEndian<I: FixedWidthInteger>(_ value: I) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    /// array_recv's input: dimensions, a has-nulls flag, the element oid, (length, lower bound) per
    /// dimension, then each element as its length (-1: NULL) and bytes. No elements: no dimension.
    private static func array(_ type: ElementType, _ elements: [[UInt8]?]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(20 + elements.reduce(0) { $0 + 4 + ($1?.count ?? 0) })
        out += bigEndian(Int32(elements.isEmpty ? 0 : 1))
        out += bigEndian(Int32(elements.contains { $0 == nil } ? 1 : 0))
        out += bigEndian(type.rawValue)
        guard !elements.isEmpty else { return out }
        out += bigEndian(Int32(elements.count))
        out += bigEndian(Int32(1))
        for element in elements {
            out += bigEndian(Int32(element.map { Int32($0.count) } ?? -1))
            if let element { out += element }
        }
        return out
    }
}

/// One row of a binary-format result (valid while the result lives: inside the row callback).
struct PostgresRow {
    let result: OpaquePointer
    let index: Int32

    func isNull(_ column: Int32) -> Bool { PQgetisnull(result, index, column) != 0 }

    func raw(_ column: Int32) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: PQgetvalue(result, index, column), count: Int(PQgetlength(result, index, column)))
    }

    func bytes(_ column: Int32) -> [UInt8]? { isNull(column) ? nil : Array(raw(column)) }

    func text(_ column: Int32) -> String { String(decoding: raw(column), as: UTF8.self) }

    /// A bigint (or int4, bool) column; 0 when NULL.
    func int(_ column: Int32) -> Int64 {
        let raw = raw(column)
        return raw.reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }
}

extension StoreError {
    /// The database cannot be reached (down, restarting, connection cut): transient for every event.
    static func unavailable(_ description: String) -> StoreError {
        var error = StoreError(description: description, isBusy: true)
        error.isUnavailable = true
        return error
    }
}
