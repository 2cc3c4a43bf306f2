// The parked keys of the plugins that keep per-key order, cached so that an
// event of a key that is not parked costs no store read.
import EventdPluginHost
import Foundation

/// Which (topic, key)s have parked events, per plugin instance: a cache of the
/// plugins' `parked` tables, so that an event of a key that is not parked
/// (nearly all) costs no store read. A key found here is checked against the store.
final class ParkedKeyCache: @unchecked Sendable {
    struct Key: Hashable {
        var topic: String
        var key: [UInt8]
    }

    private let lock = NSLock()
    private var keys: [ObjectIdentifier: Set<Key>] = [:]
    /// Plugins whose stored keys were read since the last rebalance.
    private var loaded: Set<ObjectIdentifier> = []

    /// Reads each plugin's keys from its store again on next use (after a rebalance:
    /// another member may have parked events of keys this one now reads).
    func invalidate() { lock.withLock { loaded.removeAll() } }

    /// The keys of `plugins`, read from their stores where not read yet; taken once per
    /// partition and batch, so the per-event check takes no lock. A plugin whose store cannot be
    /// read (its database is down) is read again next time, and meanwhile every key of it may be
    /// parked: each of its keyed events asks the store, and waits while the store cannot answer.
    func snapshot(_ plugins: [PluginInstance], load: (PluginInstance) throws -> [(topic: String, key: [UInt8])]) -> ParkedSnapshot {
        guard !plugins.isEmpty else { return ParkedSnapshot(sets: [:], empty: true) }
        let missing = lock.withLock { plugins.filter { !loaded.contains(ObjectIdentifier($0)) } }
        var stored: [(ObjectIdentifier, [Key])] = []
        var unknown: Set<ObjectIdentifier> = []
        for plugin in missing {
            do { stored.append((ObjectIdentifier(plugin), try load(plugin).map { Key(topic: $0.topic, key: $0.key) })) } catch {
                unknown.insert(ObjectIdentifier(plugin))
            }
        }
        return lock.withLock {
            // Merged, not replaced: a key parked meanwhile by another partition's thread stays.
            for (id, list) in stored {
                keys[id, default: []].formUnion(list)
                loaded.insert(id)
            }
            var sets: [ObjectIdentifier: Set<Key>] = [:]
            for plugin in plugins { sets[ObjectIdentifier(plugin)] = keys[ObjectIdentifier(plugin)] ?? [] }
            return ParkedSnapshot(sets: sets, empty: unknown.isEmpty && sets.values.allSatisfy(\.isEmpty), unknown: unknown)
        }
    }

    func insert(_ plugin: PluginInstance, topic: String, key: [UInt8]) {
        lock.withLock { _ = keys[ObjectIdentifier(plugin), default: []].insert(Key(topic: topic, key: key)) }
    }

    func remove(_ plugin: PluginInstance, topic: String, key: [UInt8]) {
        lock.withLock { _ = keys[ObjectIdentifier(plugin)]?.remove(Key(topic: topic, key: key)) }
    }
}

/// One partition thread's view of the parked keys during one batch.
struct ParkedSnapshot {
    var sets: [ObjectIdentifier: Set<ParkedKeyCache.Key>]
    /// No plugin has a parked key: the per-event check is one branch.
    var empty: Bool
    /// Plugins whose parked keys could not be read: any key of theirs may be parked.
    var unknown: Set<ObjectIdentifier> = []

    @inline(__always) func mayContain(_ plugin: PluginInstance, topic: () -> String, key: UnsafeRawBufferPointer) -> Bool {
        if empty { return false }
        if !unknown.isEmpty && unknown.contains(ObjectIdentifier(plugin)) { return true }
        guard let set = sets[ObjectIdentifier(plugin)], !set.isEmpty else { return false }
        return set.contains(ParkedKeyCache.Key(topic: topic(), key: Array(key)))
    }

    mutating func insert(_ plugin: PluginInstance, topic: String, key: [UInt8]) {
        guard sets[ObjectIdentifier(plugin)] != nil else { return }
        sets[ObjectIdentifier(plugin)]!.insert(ParkedKeyCache.Key(topic: topic, key: key))
        empty = false
    }

    mutating func remove(_ plugin: PluginInstance, topic: String, key: [UInt8]) {
        _ = sets[ObjectIdentifier(plugin)]?.remove(ParkedKeyCache.Key(topic: topic, key: key))
    }
}
