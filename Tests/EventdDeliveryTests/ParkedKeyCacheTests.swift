@testable import EventdDelivery
import EventdPluginHost
import Testing

@Suite struct ParkedKeyCacheTests {
    @Test func storedKeysAreReadOncePerPluginUntilARebalance() throws {
        let plugins = try Fixtures.load("counter", "tx-counter")
        let cache = ParkedKeyCache()
        var reads: [String] = []
        func load(_ plugin: PluginInstance) -> [(topic: String, key: [UInt8])] {
            reads.append(plugin.name)
            return plugin.name == "counter" ? [("mission-events", Array("u1".utf8))] : []
        }
        var snapshot = cache.snapshot(plugins, load: load)
        #expect(reads == ["counter", "tx-counter"])
        #expect(!snapshot.empty)
        #expect(Array("u1".utf8).withUnsafeBytes { snapshot.mayContain(plugins[0], topic: { "mission-events" }, key: $0) })
        #expect(!Array("u1".utf8).withUnsafeBytes { snapshot.mayContain(plugins[1], topic: { "mission-events" }, key: $0) })
        #expect(!Array("u1".utf8).withUnsafeBytes { snapshot.mayContain(plugins[0], topic: { "other" }, key: $0) })

        _ = cache.snapshot(plugins, load: load)
        #expect(reads.count == 2, "read again without a rebalance")
        cache.invalidate()
        snapshot = cache.snapshot(plugins, load: load)
        #expect(reads.count == 4)
        #expect(Array("u1".utf8).withUnsafeBytes { snapshot.mayContain(plugins[0], topic: { "mission-events" }, key: $0) })
    }

    @Test func aKeyParkedMeanwhileSurvivesAReloadOfTheStore() throws {
        let plugins = try Fixtures.load("counter")
        let cache = ParkedKeyCache()
        _ = cache.snapshot(plugins) { _ in [] }
        // Another partition's thread parks a key; then a rebalance reloads from a store that did not list it yet.
        cache.insert(plugins[0], topic: "mission-events", key: Array("u2".utf8))
        cache.invalidate()
        let snapshot = cache.snapshot(plugins) { _ in [] }
        #expect(Array("u2".utf8).withUnsafeBytes { snapshot.mayContain(plugins[0], topic: { "mission-events" }, key: $0) })
        cache.remove(plugins[0], topic: "mission-events", key: Array("u2".utf8))
        #expect(cache.snapshot(plugins) { _ in [] }.empty)
    }

    @Test func aSnapshotTracksWhatItsPartitionParksAndReleases() throws {
        let plugins = try Fixtures.load("counter", "tx-counter")
        let cache = ParkedKeyCache()
        var snapshot = cache.snapshot([plugins[0]]) { _ in [] }
        #expect(snapshot.empty)
        snapshot.insert(plugins[0], topic: "t", key: [1, 2])
        #expect(!snapshot.empty)
        #expect([UInt8]([1, 2]).withUnsafeBytes { snapshot.mayContain(plugins[0], topic: { "t" }, key: $0) })
        // A plugin outside the snapshot (no ordered handler in this group) is never tracked.
        snapshot.insert(plugins[1], topic: "t", key: [1, 2])
        #expect(![UInt8]([1, 2]).withUnsafeBytes { snapshot.mayContain(plugins[1], topic: { "t" }, key: $0) })
        snapshot.remove(plugins[0], topic: "t", key: [1, 2])
        #expect(![UInt8]([1, 2]).withUnsafeBytes { snapshot.mayContain(plugins[0], topic: { "t" }, key: $0) })
        #expect(!snapshot.empty, "emptiness is only rechecked on the next snapshot")
        #expect(![UInt8]([9]).withUnsafeBytes { snapshot.mayContain(plugins[0], topic: { "t" }, key: $0) })
    }

    @Test func aStoreThatCannotBeReadLeavesEveryKeyOfItsPluginInDoubtAndIsReadAgain() throws {
        struct Down: Error {}
        let plugins = try Fixtures.load("counter", "tx-counter")
        let cache = ParkedKeyCache()
        var reads = 0
        // The database is down on the first read (a daemon started before PostgreSQL, a rebalance during an outage).
        let doubtful = cache.snapshot(plugins) { plugin in
            reads += 1
            if plugin.name == "counter" { throw Down() }
            return []
        }
        #expect(!doubtful.empty, "keys that could not be read are not taken as none")
        #expect(Array("any".utf8).withUnsafeBytes { doubtful.mayContain(plugins[0], topic: { "mission-events" }, key: $0) },
                "every key of the unread plugin asks its store")
        #expect(!Array("any".utf8).withUnsafeBytes { doubtful.mayContain(plugins[1], topic: { "mission-events" }, key: $0) })
        let next = cache.snapshot(plugins) { _ in
            reads += 1
            return [("mission-events", Array("u1".utf8))]
        }
        #expect(reads == 3, "only the unread plugin is read again")
        #expect(next.unknown.isEmpty)
        #expect(!Array("any".utf8).withUnsafeBytes { next.mayContain(plugins[0], topic: { "mission-events" }, key: $0) })
        #expect(Array("u1".utf8).withUnsafeBytes { next.mayContain(plugins[0], topic: { "mission-events" }, key: $0) })
    }
}
