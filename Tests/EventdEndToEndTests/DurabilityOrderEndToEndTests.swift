// Durable before committed: no offset is stored before the store transaction
// covering its events is on disk. The daemon runs with an LD_PRELOAD
// interposer (Tests/Fixtures/interpose/sync_order.c) that logs every SQLite
// COMMIT, every completed fsync/fdatasync and every rd_kafka_offsets_store call
// in the order they happen.
import Foundation
import Testing

@Suite struct DurabilityOrderEndToEndTests {
    @Test func everyOffsetStoreFollowsASyncOfTheTransactionCoveringItsEvents() throws {
        let interposer = "\(Harness.fixtureStage)/interpose/libsyncorder.so"
        guard FileManager.default.fileExists(atPath: interposer) else { throw HarnessError("\(interposer) is missing: run `make fixtures`") }
        let log = NSTemporaryDirectory() + "eventd-sync-order-\(UUID().uuidString.prefix(8)).log"
        let (daemon, _, _) = try DaemonUnderTest.embedded("durability", plugins: [], fixtures: ["tx-counter"],
                                                          pluginFiles: ["tx-counter": "[plugin]\nenabled = true\n"],
                                                          environment: ["LD_PRELOAD": interposer, "SYNC_ORDER_LOG": log])
        defer { daemon.child.stop() }
        try daemon.waitForAssignment(groups: 1)
        let count = 600
        let lines = (0..<count).map { i in
            ("user-\(i % 24)", #"{"eventId":"durable-\#(i)","eventType":"mission.started","occurredAt":"2026-12-01T10:00:00Z"}"#)
        }
        // Several bursts, so that several batches (and offset stores) happen.
        for chunk in stride(from: 0, to: count, by: 100) {
            try Kcat.produce(daemon.bootstrap, topic: "mission-events", lines: Array(lines[chunk..<chunk + 100]))
            Thread.sleep(forTimeInterval: 0.2)
        }
        try Harness.waitUntil("\(count) events handled", timeout: 60, poll: 0.2) { try GroupSnapshot(daemon).handled == count }
        #expect(daemon.child.stop() == 0)

        let entries = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        let stores = entries.indices.filter { entries[$0].hasPrefix("store ") && entries[$0].contains("mission-events/") }
        let commits = entries.indices.filter { entries[$0].hasPrefix("commit ") && entries[$0].hasSuffix("plugins/tx-counter/state.sqlite") }
        let walSyncs = entries.indices.filter { entries[$0].hasPrefix("sync ") && entries[$0].hasSuffix("plugins/tx-counter/state.sqlite-wal") }
        #expect(!stores.isEmpty && !commits.isEmpty, "the interposer saw the offset stores and the commits")
        // The last commit before each offset store (the transaction covering its events) was synced before the store.
        var unsynced: [String] = []
        for store in stores {
            guard let commit = commits.last(where: { $0 < store }) else { continue }
            if !walSyncs.contains(where: { $0 > commit && $0 < store }) { unsynced.append(String(entries[store])) }
        }
        #expect(unsynced.isEmpty, "offsets stored before the transaction covering them was on disk: \(unsynced.prefix(3))")
        // Group commit: one sync per batch, not per event.
        #expect(walSyncs.count < count / 4, "\(walSyncs.count) WAL syncs for \(count) events")
        print("durability order: \(stores.count) offset stores, \(commits.count) commits, \(walSyncs.count) WAL syncs for \(count) events")
    }
}
