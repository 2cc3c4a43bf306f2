// A daemon that starts while its PostgreSQL server is down (started before it,
// failing over): the store opens without its schema, reports itself unreachable,
// and migrates — under the same advisory lock as at start — before the first
// statement that reaches the server. Until then every call fails as unavailable,
// so events wait in Kafka exactly as in an outage mid-stream.
import Foundation

extension PostgresStore {
    /// Applies the migrations the deferred start skipped; called under `sessionLock` while `migrationPending`.
    /// A schema the server refuses to migrate (newer than this daemon) keeps the store unavailable: the daemon
    /// stays degraded with that reason, and nothing is handled or dead-lettered against the wrong tables.
    /// - Throws: `StoreError`, always `isUnavailable`.
    func completeMigration() throws {
        do {
            try PostgresSchema.migrate(session, schema: schema)
        } catch let error as StoreError where !error.isUnavailable {
            StoreHealth.shared.unreachable(schema, reason: "schema not migrated: \(error.description)")
            throw StoreError.unavailable(error.description)
        }
        migrationPending = false
        StoreHealth.shared.reachable(schema)
    }

    /// Migrates first when the start deferred it (for sessions other than `session`: the outbox relay's).
    func ensureMigrated() throws {
        try sessionLock.withLock {
            if migrationPending { try completeMigration() }
        }
    }
}
