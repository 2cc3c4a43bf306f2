// Reading a plugin's key-value state for admins (devtrip-eventctl state), on
// either backend, without creating a store that is not there.
import CSQLite
import Foundation

/// A store whose state can be listed by key prefix.
public protocol StateBrowsing: PluginStore {
    /// Keys starting with `prefix` and their values, in key order, at most `limit`.
    func entries(prefix: [UInt8], limit: Int) throws -> [(key: [UInt8], value: [UInt8])]
}

extension PostgresStore: StateBrowsing {}

extension SQLiteStore: StateBrowsing {
    public func entries(prefix: [UInt8], limit: Int) throws -> [(key: [UInt8], value: [UInt8])] {
        var out: [(key: [UInt8], value: [UInt8])] = []
        try run("SELECT key, value FROM kv WHERE substr(key, 1, ?2) = ?1 ORDER BY key LIMIT ?3", { stmt in
            _ = prefix.withUnsafeBytes { sqlite3_bind_blob(stmt, 1, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32($0.count), Self.transient) }
            sqlite3_bind_int64(stmt, 2, Int64(prefix.count))
            sqlite3_bind_int64(stmt, 3, Int64(limit))
        }) { stmt in
            func blob(_ column: Int32) -> [UInt8] {
                let n = Int(sqlite3_column_bytes(stmt, column))
                guard n > 0, let p = sqlite3_column_blob(stmt, column) else { return [] }
                return Array(UnsafeRawBufferPointer(start: p, count: n))
            }
            out.append((blob(0), blob(1)))
        }
        return out
    }
}

extension StoreLocation {
    /// Opens `plugin`'s store for reading when it exists.
    /// - Throws: `StoreError` when there is none (a plugin that never ran, or a misspelt name).
    public func openExisting(plugin: String) throws -> any StateBrowsing {
        switch self {
        case .sqlite(let stateDir):
            let path = "\(stateDir)/plugins/\(plugin)/state.sqlite"
            guard FileManager.default.fileExists(atPath: path) else {
                throw StoreError(description: "plugin '\(plugin)' has no store: \(path) does not exist")
            }
            return try SQLiteStore(path: path)
        case .postgresql(let url):
            let schema = PostgresStore.schemaName(plugin: plugin)
            let probe = try PostgresConnection(url: url, setup: [], name: schema)
            var exists = false
            try probe.run("SELECT true FROM pg_namespace WHERE nspname = $1", [.text(schema)]) { _ in exists = true }
            guard exists else { throw StoreError(description: "plugin '\(plugin)' has no store: no schema \(schema) in \(PostgresConnection.redacted(url))") }
            return try PostgresStore(url: url, plugin: plugin)
        }
    }
}
