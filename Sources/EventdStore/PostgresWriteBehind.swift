// What a PostgreSQL transaction of the store keeps on the client until it
// commits: the state writes, outbox rows and ledger entries of its events, sent
// in one statement at commit instead of a round trip each; savepoints are marks
// in these lists. Beside it, the committed values the store has read or written
// (valid while no other session committed to the schema: every commit changes
// the version in `commits`) and the ledger entries looked up ahead for a batch's event ids.
import Foundation

/// One key's value as a transaction or the cache knows it.
enum KnownValue {
    case value([UInt8])
    case absent

    var bytes: [UInt8]? {
        if case .value(let bytes) = self { return bytes }
        return nil
    }
}

/// The writes of the open transaction, in order, with savepoint marks.
struct PendingWrites {
    struct OutboxRow {
        let topic: String
        let key: [UInt8]?
        let value: [UInt8]?
        let headers: [UInt8]
    }

    struct LedgerRow: Hashable {
        let group: String
        let eventID: String
        var time: Int64 = 0

        static func == (a: LedgerRow, b: LedgerRow) -> Bool { a.group == b.group && a.eventID == b.eventID }
        func hash(into hasher: inout Hasher) {
            hasher.combine(group)
            hasher.combine(eventID)
        }
    }

    /// Each written key's value at the end of the transaction so far.
    private(set) var state: [[UInt8]: KnownValue] = [:]
    private(set) var outbox: [OutboxRow] = []
    private(set) var ledger: [LedgerRow] = []
    private var ledgerSet: Set<LedgerRow> = []
    /// For each state write, what the key held before it in this transaction (nil: not written yet).
    private var undo: [(key: [UInt8], previous: KnownValue?)] = []
    private var marks: [(undo: Int, outbox: Int, ledger: Int)] = []

    var isEmpty: Bool { state.isEmpty && outbox.isEmpty && ledger.isEmpty }

    mutating func write(_ key: [UInt8], _ value: KnownValue) {
        undo.append((key, state.updateValue(value, forKey: key)))
    }

    mutating func enqueue(_ row: OutboxRow) { outbox.append(row) }

    mutating func markHandled(_ row: LedgerRow) {
        if ledgerSet.insert(row).inserted { ledger.append(row) }
    }

    func isHandled(group: String, eventID: String) -> Bool {
        ledgerSet.contains(LedgerRow(group: group, eventID: eventID))
    }

    /// Outermost savepoints kept (events handled in this transaction).
    private(set) var keptEvents = 0

    mutating func savepoint() { marks.append((undo.count, outbox.count, ledger.count)) }

    /// Ends the innermost savepoint, undoing its writes unless `keep`.
    mutating func endSavepoint(keep: Bool) {
        guard let mark = marks.popLast() else { return }
        guard !keep else {
            if marks.isEmpty { keptEvents += 1 }
            return
        }
        while undo.count > mark.undo {
            let (key, previous) = undo.removeLast()
            state[key] = previous
        }
        outbox.removeSubrange(mark.outbox...)
        for row in ledger[mark.ledger...] { ledgerSet.remove(row) }
        ledger.removeSubrange(mark.ledger...)
    }

    /// The flush statement's parameters: state upserts, deleted keys, outbox rows in order, ledger entries
    /// (the expected and the new version follow them).
    var parameters: [PostgresValue] {
        var keys: [[UInt8]?] = [], values: [[UInt8]?] = [], deleted: [[UInt8]?] = []
        for (key, known) in state {
            if let bytes = known.bytes {
                keys.append(key)
                values.append(bytes)
            } else {
                deleted.append(key)
            }
        }
        return [
            .array(.bytea, keys), .array(.bytea, values), .array(.bytea, deleted),
            .array(.text, outbox.map { Array($0.topic.utf8) }), .array(.bytea, outbox.map(\.key)),
            .array(.bytea, outbox.map(\.value)), .array(.bytea, outbox.map(\.headers)),
            .array(.text, ledger.map { Array($0.group.utf8) }), .array(.text, ledger.map { Array($0.eventID.utf8) }),
            .array(.int8, ledger.map { PostgresValue.bigEndian($0.time) }),
        ]
    }

    /// One statement for the whole transaction's writes, its own transaction: it sets the schema's
    /// version (`commits.n`) to `$12`, and writes nothing (no row returned) unless the version was `$11`,
    /// the one the transaction was handled on. A version is drawn at random for each commit, so a commit
    /// that failed is never mistaken for another writer's that raised a count by as much.
    static let flushSQL = """
        WITH counted AS (UPDATE commits SET n = $12 WHERE n = $11 RETURNING n),
          state AS (
            INSERT INTO kv(key, value) SELECT k, v FROM unnest($1::bytea[], $2::bytea[]) AS w(k, v)
            WHERE EXISTS (SELECT FROM counted)
            ON CONFLICT(key) DO UPDATE SET value = excluded.value),
          removed AS (DELETE FROM kv WHERE key = ANY($3::bytea[]) AND EXISTS (SELECT FROM counted)),
          follow_ups AS (
            INSERT INTO outbox(topic, key, value, headers)
            SELECT t, k, v, h FROM unnest($4::text[], $5::bytea[], $6::bytea[], $7::bytea[]) WITH ORDINALITY AS o(t, k, v, h, n)
            WHERE EXISTS (SELECT FROM counted)
            ORDER BY n),
          handled AS (
            INSERT INTO ledger(grp, event_id, handled_at)
            SELECT g, e, t FROM unnest($8::text[], $9::text[], $10::bigint[]) AS l(g, e, t)
            WHERE EXISTS (SELECT FROM counted)
            ON CONFLICT DO NOTHING)
        SELECT n FROM counted
        """
}

/// Committed values of the schema's `kv` this session has seen, and the ledger entries looked up
/// ahead for the open batch. Valid only while `generation` is the schema's version.
struct ReadCache {
    /// Bytes of keys and values held before the cache starts over.
    static let budget = 8 << 20

    private var values: [[UInt8]: KnownValue] = [:]
    private var bytes = 0
    /// The schema version the values reflect; nil: nothing is known.
    private(set) var generation: Int64?

    /// The ids of `prefetchGroup` looked up ahead, and those of them already handled.
    private var prefetchGroup = ""
    private var prefetched: Set<String> = []
    private var handled: Set<String> = []

    /// At the start of a transaction (holding the schema's lock): keeps the values only if nobody committed since.
    mutating func begin(generation current: Int64) {
        if generation != current { clear() }
        generation = current
    }

    mutating func clear() {
        values.removeAll(keepingCapacity: true)
        bytes = 0
        generation = nil
    }

    subscript(key: [UInt8]) -> KnownValue? { generation == nil ? nil : values[key] }

    mutating func remember(_ key: [UInt8], _ value: KnownValue) {
        guard generation != nil else { return }
        let size = key.count + (value.bytes?.count ?? 0)
        if bytes + size > Self.budget {
            values.removeAll(keepingCapacity: true)
            bytes = 0
        }
        if let old = values.updateValue(value, forKey: key) { bytes -= key.count + (old.bytes?.count ?? 0) }
        bytes += size
    }

    /// After a commit that took the count from `before` to `after`: the transaction's writes are
    /// the committed values when no other session committed in between.
    mutating func committed(_ writes: PendingWrites, before: Int64?, after: Int64) {
        guard let before, generation == before else { return clear() }
        generation = after
        for (key, value) in writes.state { remember(key, value) }
    }

    mutating func prefetch(group: String, ids: Set<String>, handled found: Set<String>) {
        prefetchGroup = group
        prefetched = ids
        handled = found
    }

    /// Whether the event is handled, when it was looked up ahead (once: a second question goes to the server).
    mutating func prefetchedHandled(group: String, eventID: String) -> Bool? {
        guard group == prefetchGroup, prefetched.remove(eventID) != nil else { return nil }
        return handled.contains(eventID)
    }

    mutating func endBatch() {
        prefetched.removeAll()
        handled.removeAll()
    }
}
