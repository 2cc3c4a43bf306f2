// Group commit: a partition batch's events for a transactional plugin run in
// one store transaction, a savepoint per event, committed (durably) before the
// batch's offsets are stored. A store may send the commit and let the next
// partition's transaction begin while it becomes durable: the polling thread
// waits for it (`commits`) before it stores the batch's offsets. A batch marker
// written before the plugin gets any event tells a crash apart; the batch a crash
// left behind is handed over again one event at a time, so quarantine still names
// the one event that was in the plugin.
import EventdKafka
import EventdPluginHost
import EventdStore
import Foundation

final class BatchCommit {
    let group: String
    let topic: String
    let partition: Int32
    /// The offsets of the partition's records in this batch.
    let offsets: ClosedRange<Int64>
    /// The plugin whose batch transaction is open on this thread (at most one: no thread holds one
    /// store while waiting for another, so two partitions never wait for each other).
    private var open: PluginInstance?
    /// Plugins whose earlier batch a crash left behind, with the starts it had: their events go one
    /// at a time, each inheriting those starts.
    private var suspect: [ObjectIdentifier: (plugin: PluginInstance, starts: Int)] = [:]
    /// Plugins whose transactions were sent, with the wait for each to be durable (then their outbox relays are told).
    private(set) var commits: [(plugin: PluginInstance, pending: PendingCommit)] = []

    /// The batch's event ids, for a store that looks the ledger up ahead (computed on first use).
    private let findEventIDs: () -> [String]
    private lazy var eventIDs = findEventIDs()

    init(group: String, topic: String, partition: Int32, offsets: ClosedRange<Int64>, eventIDs: @escaping () -> [String] = { [] }) {
        self.group = group
        self.topic = topic
        self.partition = partition
        self.offsets = offsets
        findEventIDs = eventIDs
    }

    /// Whether `plugin`'s events of this batch run in its batch transaction (opening it on first use,
    /// after committing another plugin's); false: one event at a time (a crash left a batch behind).
    /// - Throws: the store's failure to mark or open the batch.
    func groups(_ plugin: PluginInstance) throws -> Bool {
        if open === plugin { return true }
        if suspect[ObjectIdentifier(plugin)] != nil { return false }
        try commit()
        let store = plugin.context.state
        let leftover = try store.startBatch(group: group, topic: topic, partition: partition, offsets: offsets)
        if leftover > 0 {
            suspect[ObjectIdentifier(plugin)] = (plugin, leftover)
            return false
        }
        try store.beginBatch()
        open = plugin
        if store.prefetchesLedger {
            do { try store.prefetchHandled(group: group, eventIDs: eventIDs) } catch {
                rollback()
                throw error
            }
        }
        return true
    }

    /// Before this thread waits for `plugin`'s store (its parked-key rows are written under that store's
    /// lock): commits another plugin's open transaction, so that no thread waits while holding one.
    func release(unless plugin: PluginInstance) {
        guard let held = open, held !== plugin else { return }
        do { try commit() } catch { failure = failure ?? error }
    }

    /// A commit that failed mid-batch (`finish` reports it: the partition is read again).
    private var failure: (any Error)?

    /// Starts an event inherits from a batch a crash left behind (0: none).
    func inherited(_ plugin: PluginInstance) -> Int { suspect[ObjectIdentifier(plugin)]?.starts ?? 0 }

    /// Sends the open transaction's commit and clears the batch markers it covered (the plugin is done
    /// with those events; a crash before the commit is durable is not the plugin's).
    func commit() throws {
        guard let plugin = open else { return }
        open = nil
        let store = plugin.context.state
        commits.append((plugin, try store.sendBatch()))
        try store.finishBatch(group: group, topic: topic, partition: partition, through: offsets.upperBound)
    }

    /// Ends the batch: commits what is open, and forgets the markers a crash left for the events
    /// handled one at a time here.
    func finish() throws {
        if let failure { throw failure }
        try commit()
        for (plugin, _) in suspect.values {
            try plugin.context.state.finishBatch(group: group, topic: topic, partition: partition, through: offsets.upperBound)
        }
    }

    /// Undoes the open transaction (the partition is read again).
    func rollback() {
        open?.context.state.rollbackBatch()
        open = nil
    }
}
