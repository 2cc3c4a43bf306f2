// The outbox on PostgreSQL: every daemon of a fleet may relay it. A relay claims
// the oldest rows with `FOR UPDATE SKIP LOCKED` on its own session and keeps the
// claim (an open transaction) until the broker acknowledged them and they are
// deleted; a relay that dies loses its session and with it the claim, so another
// daemon sends those rows at once. Rows go out in commit order: a claim that does
// not start at the oldest row (another relay holds older ones) is given back.
import Foundation

extension PostgresStore {
    public func enqueue(topic: String, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
                        headers: [(name: String, value: [UInt8]?)]) throws {
        let row = PendingWrites.OutboxRow(topic: topic, key: key.map(Array.init), value: value.map(Array.init),
                                          headers: SQLiteStore.encode(headers))
        try withSession { session in
            if pending != nil { return pending!.enqueue(row) }
            try session.run("INSERT INTO outbox(topic, key, value, headers) VALUES($1, $2, $3, $4)", [
                .text(row.topic), row.key.map { .bytes($0) } ?? .null, row.value.map { .bytes($0) } ?? .null, .bytes(row.headers),
            ])
        }
    }

    /// Claims the oldest rows for this daemon's relay (giving up an earlier claim first).
    /// - Returns: the rows in commit order; none while another daemon holds older ones.
    public func outbox(limit: Int) throws -> [OutboxRecord] {
        try relayLock.withLock {
            let relay = try relayConnection()
            try relay.endClaim()
            claimedSeqs = []
            try relay.simple("BEGIN")
            var rows: [OutboxRecord] = []
            do {
                try relay.run("SELECT seq, topic, key, value, headers FROM outbox ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
                              [.int(Int64(limit))]) { row in
                    rows.append(OutboxRecord(seq: row.int(0), topic: row.text(1), key: row.bytes(2), value: row.bytes(3),
                                             headers: SQLiteStore.decode(row.bytes(4) ?? [])))
                }
                // The oldest row, locked or not, read from the primary key's first entry (a `seq < $1`
                // filter was planned as a scan of the whole backlog).
                var older = false
                if let first = rows.first {
                    try relay.run("SELECT min(seq) FROM outbox") { row in older = !row.isNull(0) && row.int(0) < first.seq }
                }
                if rows.isEmpty || older {
                    try relay.simple("ROLLBACK")
                    return []
                }
            } catch {
                try? relay.simple("ROLLBACK")
                throw error
            }
            claimedSeqs = rows.map(\.seq)
            return rows
        }
    }

    /// Deletes the claimed rows up to `seq` and ends the claim.
    ///
    /// Only claimed rows: a row another writer committed late, with a lower `seq` than rows already
    /// relayed, is not one of them and stays to be sent. The range bounds keep the plan on the primary key.
    public func deleteOutbox(through seq: Int64) throws {
        try relayLock.withLock {
            let relay = try relayConnection()
            let sent = claimedSeqs.filter { $0 <= seq }
            claimedSeqs = []
            guard let first = sent.first, let last = sent.last else { return try relay.endClaim() }
            do {
                try relay.run("DELETE FROM outbox WHERE seq >= $1 AND seq <= $2 AND seq = ANY($3::bigint[])",
                              [.int(first), .int(last), .array(.int8, sent.map { PostgresValue.bigEndian($0) })])
                try relay.simple("COMMIT")
            } catch {
                try? relay.simple("ROLLBACK")
                throw error
            }
        }
    }

    private func relayConnection() throws -> PostgresConnection {
        if let relaySession { return relaySession }
        try ensureMigrated()
        let relay = try PostgresConnection(url: url, setup: Self.sessionSetup(schema), name: schema)
        relaySession = relay
        return relay
    }

    /// Gives this daemon's claim back (its publish failed), so that another daemon sends the rows meanwhile.
    public func releaseOutboxClaim() throws {
        try relayLock.withLock { try relaySession?.endClaim() }
    }

    /// Every daemon relays (rows are claimed, not leased): the lease is always held.
    public func acquireRelayLease(_ owner: RelayOwner, for duration: TimeInterval, now: Date,
                                  isAlive: (Int32) -> Bool) throws -> RelayLease {
        RelayLease(held: true, holder: owner.id, expires: now.addingTimeInterval(duration))
    }

    public func releaseRelayLease(_ owner: RelayOwner) throws {
        try relayLock.withLock { try relaySession?.endClaim() }
    }
}
