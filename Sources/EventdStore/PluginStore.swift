// What the delivery engine asks of a plugin's persistent store. SQLite
// (`SQLiteStore`, one file per plugin) is the embedded implementation; any
// other backend implements the same protocol and delivery does not change.
import Foundation

/// A plugin's durable state and the delivery bookkeeping kept beside it, so
/// that one transaction covers a handler's state writes, its follow-ups and
/// the ledger entry that makes it effectively once.
///
/// Transactions nest one level: `transaction` opens one (a whole partition
/// batch may run in it), `savepoint` inside it scopes one event, whose failure
/// rolls back that event's writes only. The plugin's own state calls join
/// whatever is open on the calling thread's store.
public protocol PluginStore: AnyObject, Sendable {
    /// Where the store lives, for messages (a file path, a database and schema).
    var location: String { get }

    // MARK: Plugin key-value state (the host table's state_get/put/delete)

    /// Calls `body` with the value of `key`, or nil when absent.
    func withValue<R>(_ key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer?) -> R) throws -> R
    func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws
    /// - Returns: whether the key existed.
    func delete(_ key: UnsafeRawBufferPointer) throws -> Bool

    // MARK: Transactions

    /// Runs `body` in one write transaction, committing when it returns
    /// `commit` and rolling back otherwise (or when it throws). Transactions
    /// of one store run one at a time, in this process and across the processes
    /// that share the store.
    /// - Throws: `StoreError`; `isBusy` when another process held the store too long.
    func transaction<R>(_ body: () throws -> (commit: Bool, result: R)) throws -> R
    /// Opens a write transaction that stays open on this thread across calls (one partition batch: group
    /// commit) until `commitBatch` or `rollbackBatch`; `savepoint` scopes each event inside it.
    func beginBatch() throws
    /// Commits the batch transaction; on return it is durable (on disk), so offsets may follow.
    func commitBatch() throws
    /// Ends the batch transaction like `commitBatch`, but may return before the commit is durable:
    /// the next transaction may begin at once (it sees this one's writes), and offsets wait for
    /// `PendingCommit.wait`. When that wait fails, the transactions begun on top of this one fail too.
    func sendBatch() throws -> PendingCommit
    func rollbackBatch()
    /// Inside `transaction` or a batch: runs `body` so that its writes are kept when it
    /// returns `commit` and undone otherwise, leaving the enclosing transaction open.
    func savepoint<R>(_ body: () throws -> (commit: Bool, result: R)) throws -> R
    /// Runs `body` while this process holds no transaction open on the store.
    func outsideTransactions<R>(_ body: () throws -> R) rethrows -> R

    // MARK: Idempotency ledger, per consumer group

    func isHandled(group: String, eventID: String) throws -> Bool
    /// Whether the store wants a batch's event ids up front (`prefetchHandled`): each question to it is a round trip.
    var prefetchesLedger: Bool { get }
    /// Inside a batch transaction: looks the ledger up for the batch's event ids at once, so that each
    /// event's `isHandled` is answered without asking again.
    func prefetchHandled(group: String, eventIDs: [String]) throws
    func markHandled(group: String, eventID: String, at time: Date) throws
    /// Forgets entries older than `retention`. - Returns: how many.
    @discardableResult func pruneLedger(olderThan retention: TimeInterval, now: Date) throws -> Int
    func ledgerCount() throws -> Int

    // MARK: Outbox

    /// Adds a follow-up to the outbox, inside the open transaction.
    func enqueue(topic: String, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
                 headers: [(name: String, value: [UInt8]?)]) throws
    /// The oldest rows, in commit order.
    func outbox(limit: Int) throws -> [OutboxRecord]
    /// Removes the rows up to `seq`, once the broker acknowledged them.
    func deleteOutbox(through seq: Int64) throws
    /// Gives back the rows `outbox(limit:)` claimed, unsent, so that other daemons send them
    /// (PostgreSQL; SQLite claims nothing: one lease holder publishes).
    func releaseOutboxClaim() throws

    // MARK: In-flight markers (crash quarantine)

    /// Marks a delivery as started. - Parameter inherited: starts it had as part of a batch a crash left
    /// behind. - Returns: how many times it was started (more than 1: the daemon died while the plugin held it).
    func startDelivery(group: String, topic: String, partition: Int32, offset: Int64, inherited: Int) throws -> Int
    func finishDelivery(group: String, topic: String, partition: Int32, offset: Int64) throws
    /// Marks a partition batch's events as in the plugin's hands (group commit), before the plugin gets any.
    /// - Returns: 0, or — when a batch a crash left behind overlaps `offsets` — its starts (no marker is
    ///   written then: the caller hands those events over one at a time, each with its own marker).
    func startBatch(group: String, topic: String, partition: Int32, offsets: ClosedRange<Int64>) throws -> Int
    /// Forgets the batch markers of the partition that end at or before `offset`.
    func finishBatch(group: String, topic: String, partition: Int32, through offset: Int64) throws

    // MARK: Parked keys (per-key order while an event waits on a delay tier)

    func park(group: String, topic: String, key: [UInt8], partition: Int32, offset: Int64) throws
    func unpark(group: String, topic: String, key: [UInt8], partition: Int32, offset: Int64) throws
    func parkState(group: String, topic: String, key: [UInt8], partition: Int32, offset: Int64) throws -> ParkState
    func parkedKeys(group: String) throws -> [(topic: String, key: [UInt8])]
    func parkedCount(group: String) throws -> Int

    // MARK: Relay lease (one publisher per outbox)

    /// Takes or renews the lease on publishing this store's outbox for `duration`.
    /// - Parameter isAlive: whether a pid of this host is alive (tests replace it).
    func acquireRelayLease(_ owner: RelayOwner, for duration: TimeInterval, now: Date,
                           isAlive: (Int32) -> Bool) throws -> RelayLease
    /// Gives the lease up (on a clean stop), so that another daemon takes over at once.
    func releaseRelayLease(_ owner: RelayOwner) throws
}

extension PluginStore {
    public var prefetchesLedger: Bool { false }
    public func prefetchHandled(group: String, eventIDs: [String]) throws {}

    public func startDelivery(group: String, topic: String, partition: Int32, offset: Int64) throws -> Int {
        try startDelivery(group: group, topic: topic, partition: partition, offset: offset, inherited: 0)
    }

    public func markHandled(group: String, eventID: String) throws {
        try markHandled(group: group, eventID: eventID, at: Date())
    }

    @discardableResult
    public func pruneLedger(olderThan retention: TimeInterval) throws -> Int {
        try pruneLedger(olderThan: retention, now: Date())
    }

    public func releaseOutboxClaim() throws {}

    public func acquireRelayLease(_ owner: RelayOwner, for duration: TimeInterval, now: Date = Date()) throws -> RelayLease {
        try acquireRelayLease(owner, for: duration, now: now, isAlive: RelayOwner.processIsAlive)
    }

    /// A value as UTF-8 text (for tests and admin tools).
    public func string(_ key: String) throws -> String? {
        try Array(key.utf8).withUnsafeBytes { k in
            try withValue(k) { $0.map { String(decoding: $0, as: UTF8.self) } }
        }
    }
}

/// A store failure: the store failed, not the event.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// The backend's own result code (SQLite's primary result code; 0 when none).
    public var code: Int32
    /// Another connection (another daemon sharing the store) held a lock past
    /// the wait: transient, worth a retry, never a reason to reject an event.
    public var isBusy: Bool
    /// The store cannot be reached at all (a database server down or restarting): every event
    /// waits, none is failed for it; the daemon reports itself degraded until a call succeeds.
    public var isUnavailable = false

    public init(description: String, code: Int32 = 0, isBusy: Bool = false) {
        self.description = description
        self.code = code
        self.isBusy = isBusy
    }
}

/// One row of the outbox.
public struct OutboxRecord: Sendable {
    public let seq: Int64
    public let topic: String
    public let key: [UInt8]?
    public let value: [UInt8]?
    public let headers: [(name: String, value: [UInt8]?)]

    public init(seq: Int64, topic: String, key: [UInt8]?, value: [UInt8]?, headers: [(name: String, value: [UInt8]?)]) {
        self.seq = seq
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// What the parked rows of a key say about the event at (partition, offset).
public struct ParkState: Sendable, Equatable {
    /// The event itself is parked.
    public var isParked = false
    /// An earlier event of the same key is parked (by offset; on another partition, a smaller partition number).
    public var hasEarlier = false
    /// Parked events of the key, this one included.
    public var rows = 0

    public init(isParked: Bool = false, hasEarlier: Bool = false, rows: Int = 0) {
        self.isParked = isParked
        self.hasEarlier = hasEarlier
        self.rows = rows
    }

    /// Folds in one parked row of the key: across partitions (a key that moved)
    /// the smaller (partition, offset) goes first, so two events never wait for each other.
    public mutating func add(partition part: Int32, offset off: Int64, for partition: Int32, _ offset: Int64) {
        rows += 1
        if part == partition && off == offset { isParked = true } else if (part, off) < (partition, offset) { hasEarlier = true }
    }
}
