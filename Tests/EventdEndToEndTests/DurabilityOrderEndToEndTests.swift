// Durable before committed: no offset is stored before the store transaction
// covering its events is on disk. The daemon runs with an LD_PRELOAD
// interposer (Tests/Fixtures/interpose/sync_order.c) that logs every SQLite
// COMMIT, every completed fsync/fdatasync, every PostgreSQL batch commit sent
// and returned, and every rd_kafka_offsets_store call in the order they happen.
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

    /// On PostgreSQL a batch's commit is sent and the next partition's batch handled while it becomes durable:
    /// the offsets still wait for it. The test also holds the row every commit sets its version in for two seconds
    /// mid-stream (the server's commits wait), so that an offset stored too early would show.
    @Test func onPostgreSQLEveryOffsetStoreFollowsTheCommitOfEveryBatchSentBeforeIt() throws {
        let interposer = "\(Harness.fixtureStage)/interpose/libsyncorder.so"
        guard FileManager.default.fileExists(atPath: interposer) else { throw HarnessError("\(interposer) is missing: run `make fixtures`") }
        let dir = try Harness.temporaryDirectory("durability-pg")
        let log = "\(dir)/sync-order.log"
        let database = try PostgresServer(dir: "\(dir)/pg")
        let config = try Harness.configuration(in: dir, replacing: database.storeReplacement,
                                               pluginFiles: ["tx-counter": "[plugin]\nenabled = true\n"])
        let plugins = try Harness.pluginDirectory(in: dir, plugins: [], fixtures: ["tx-counter"])
        let daemon = try DaemonUnderTest(config: config, brokers: "embedded", pluginDir: plugins, dir: dir,
                                         environment: ["LD_PRELOAD": interposer, "SYNC_ORDER_LOG": log])
        defer { daemon.child.stop() }
        try daemon.waitForAssignment(groups: 1)
        let count = 1200
        let lines = (0..<count).map { i in
            ("user-\(i % 24)", #"{"eventId":"durable-pg-\#(i)","eventType":"mission.started","occurredAt":"2026-12-01T10:00:00Z"}"#)
        }
        for chunk in stride(from: 0, to: count / 2, by: 100) {
            try Kcat.produce(daemon.bootstrap, topic: "mission-events", lines: Array(lines[chunk..<chunk + 100]))
            Thread.sleep(forTimeInterval: 0.2)
        }
        try Harness.waitUntil("the first half handled", timeout: 60, poll: 0.2) { try GroupSnapshot(daemon).handled == count / 2 }
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        holder.arguments = [database.url, "-X", "-q", "-v", "ON_ERROR_STOP=1"]
        let input = Pipe()
        holder.standardInput = input
        holder.standardOutput = FileHandle.nullDevice
        try holder.run()
        input.fileHandleForWriting.write(Data("BEGIN; SELECT n FROM eventd_tx_counter.commits FOR UPDATE;\n".utf8))
        Thread.sleep(forTimeInterval: 0.5)
        try Kcat.produce(daemon.bootstrap, topic: "mission-events", lines: Array(lines[(count / 2)...]))
        Thread.sleep(forTimeInterval: 2)
        #expect(try database.query("SELECT count(*) FROM eventd_tx_counter.ledger") == [["\(count / 2)"]], "nothing committed while held")
        input.fileHandleForWriting.write(Data("ROLLBACK;\n".utf8))
        try input.fileHandleForWriting.close()
        holder.waitUntilExit()
        try Harness.waitUntil("\(count) events handled", timeout: 60, poll: 0.2) { try GroupSnapshot(daemon).handled == count }
        #expect(daemon.child.stop() == 0)
        #expect(try database.query("SELECT count(*) FROM eventd_tx_counter.ledger") == [["\(count)"]])

        let entries = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        let stores = entries.indices.filter { entries[$0].hasPrefix("store ") && entries[$0].contains("mission-events/") }
        let sends = entries.indices.filter { entries[$0] == "pgsend" }
        let dones = entries.indices.filter { entries[$0] == "pgdone" }
        #expect(!stores.isEmpty && sends.count >= 2 && sends.count == dones.count, "stores \(stores.count), sends \(sends.count), done \(dones.count)")
        // Every batch commit sent before an offset store had returned (durable) before it.
        let early = stores.filter { store in sends.filter { $0 < store }.count != dones.filter { $0 < store }.count }
        #expect(early.isEmpty, "offsets stored before a commit sent earlier was durable: \(early.prefix(3).map { entries[$0] })")
        print("durability order on PostgreSQL: \(stores.count) offset stores, \(sends.count) batch commits for \(count) events")
    }
}
