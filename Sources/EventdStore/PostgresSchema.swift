// The tables of a plugin's PostgreSQL schema, as numbered migrations. Each daemon
// applies the missing ones at start, under an advisory lock, so that daemons
// starting together never race; a schema newer than this build is refused.
// The layout is documented for services that read their state (README "Scaling out").
enum PostgresSchema {
    /// Migration n brings the schema from version n to n + 1. Append only: never edit a shipped one.
    static let migrations: [[String]] = [
        [
            // Plugin key-value state (the host table's state_get/put/delete).
            "CREATE TABLE kv (key bytea PRIMARY KEY, value bytea NOT NULL)",
            // The idempotency ledger: event ids handled, per consumer group (the schema is the plugin).
            "CREATE TABLE ledger (grp text NOT NULL, event_id text NOT NULL, handled_at bigint NOT NULL, PRIMARY KEY (grp, event_id))",
            "CREATE INDEX ledger_age ON ledger (handled_at)",
            // The transactional outbox: follow-ups committed with their handle, not yet acknowledged by the broker.
            "CREATE TABLE outbox (seq bigserial PRIMARY KEY, topic text NOT NULL, key bytea, value bytea, headers bytea NOT NULL)",
            // Deliveries and partition batches in the plugin's hands: a row left behind is a crash.
            "CREATE TABLE inflight (grp text NOT NULL, topic text NOT NULL, part bigint NOT NULL, off bigint NOT NULL, starts bigint NOT NULL, PRIMARY KEY (grp, topic, part, off))",
            "CREATE TABLE inflight_batch (grp text NOT NULL, topic text NOT NULL, part bigint NOT NULL, first_off bigint NOT NULL, last_off bigint NOT NULL, starts bigint NOT NULL, PRIMARY KEY (grp, topic, part, first_off))",
            // Parked events of handlers that keep per-key order.
            "CREATE TABLE parked (grp text NOT NULL, topic text NOT NULL, key bytea NOT NULL, part bigint NOT NULL, off bigint NOT NULL, PRIMARY KEY (grp, topic, key, part, off))",
        ],
        [
            // Commits that changed the schema's state, counted: a daemon keeps the values it read while
            // nobody else committed (one row, bumped by every state write).
            "CREATE TABLE commits (n bigint NOT NULL)",
            "INSERT INTO commits VALUES (0)",
        ],
        [
            // State documents above 2 KB are compressed before they are stored: lz4 takes a third of
            // the server's time pglz (the default) takes. Values already stored stay as they are; a
            // server built without lz4 (or older than PostgreSQL 14) keeps pglz.
            """
            DO $$ BEGIN
              EXECUTE 'ALTER TABLE kv ALTER COLUMN value SET COMPRESSION lz4';
            EXCEPTION WHEN feature_not_supported OR syntax_error OR invalid_parameter_value THEN NULL;
            END $$
            """,
        ],
    ]

    static var version: Int { migrations.count }

    /// Creates the schema when missing and applies the migrations it lacks, in one transaction.
    /// - Throws: `StoreError` when the schema is newer than this build knows, or a statement fails.
    static func migrate(_ session: PostgresConnection, schema: String) throws {
        try session.simple("BEGIN")
        do {
            try session.run("SELECT pg_advisory_xact_lock(hashtext('eventd.migrate'), hashtext($1))", [.text(schema)])
            try session.simple("CREATE SCHEMA IF NOT EXISTS \"\(schema)\"")
            try session.simple("CREATE TABLE IF NOT EXISTS schema_version (version bigint PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
            var current: Int64 = 0
            try session.run("SELECT coalesce(max(version), 0) FROM schema_version") { current = $0.int(0) }
            guard current <= version else {
                throw StoreError(description: "schema \(schema) is at version \(current), newer than this daemon's \(version): upgrade the daemon")
            }
            for (index, statements) in migrations.enumerated() where index >= current {
                for sql in statements { try session.simple(sql) }
                try session.run("INSERT INTO schema_version(version) VALUES($1)", [.int(Int64(index + 1))])
            }
            try session.simple("COMMIT")
        } catch {
            try? session.simple("ROLLBACK")
            throw error
        }
    }
}
