// What holds on PostgreSQL alone: outbox claims shared by a fleet, migrations, schemas.
import EventdStore
import Foundation
import Testing

@Suite struct PostgresStoreTests {
    func fill(_ store: any PluginStore, _ count: Int) throws {
        try store.transaction {
            for i in 0..<count { try store.enqueue(topic: "t", key: nil, value: nil, headers: [("n", Array("\(i)".utf8))]) }
            return (true, ())
        }
    }

    @Test func twoDaemonsRelayOneOutboxInCommitOrderAndADeadRelaysClaimGoesAtOnce() throws {
        let name = Backend.uniqueName("relay")
        var a: PostgresStore? = try PostgresStore(url: try TestPostgres.url(), plugin: name)
        let b = try PostgresStore(url: try TestPostgres.url(), plugin: name)
        try fill(a!, 10)
        // Every daemon may relay: the lease is no gate on PostgreSQL.
        #expect(try a!.acquireRelayLease(RelayOwner(id: "a", host: "m1/boot", pid: 1), for: 10).held)
        #expect(try b.acquireRelayLease(RelayOwner(id: "b", host: "m2/boot", pid: 1), for: 10).held)
        let claimed = try a!.outbox(limit: 4)
        #expect(claimed.count == 4)
        // B may not send rows behind A's claim (order), nor A's rows (once).
        #expect(try b.outbox(limit: 4).isEmpty)
        // A dies holding its claim (its session ends): B sends those rows at once, in order.
        a = nil
        var taken = try b.outbox(limit: 100)
        let deadline = Date().addingTimeInterval(5)   // the server ends the session's transaction a moment later
        while taken.isEmpty && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
            taken = try b.outbox(limit: 100)
        }
        try #require(taken.map(\.seq) == Array(claimed[0].seq...claimed[0].seq + 9))
        try b.deleteOutbox(through: taken[9].seq)
        #expect(try b.outbox(limit: 100).isEmpty)
    }

    @Test func migrationsRunOnceWhenManyDaemonsStartTogether() throws {
        let name = Backend.uniqueName("migrate")
        let url = try TestPostgres.url()
        let failures = UncheckedCounter()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do { _ = try PostgresStore(url: url, plugin: name) } catch { failures.add() }
        }
        #expect(failures.value == 0)
        #expect(PostgresStore.schemaName(plugin: "ai-evaluation") == "eventd_ai_evaluation")
    }

    @Test func anUnreachableServerIsUnavailableNotAFailureOfTheEvent() throws {
        let error = #expect(throws: StoreError.self) {
            _ = try PostgresStore(url: "postgresql:///eventd?host=/nonexistent-eventd&user=postgres&connect_timeout=2", plugin: "x")
        }
        #expect(error?.isUnavailable == true && error?.isBusy == true)
    }
}

/// Ledger retention runs on one machine of the fleet at a time.
@Suite struct PostgresRetentionTests {
    @Test func aDaemonThatFindsAnotherPruningSkipsTheRound() throws {
        let name = Backend.uniqueName("prune")
        let store = try PostgresStore(url: try TestPostgres.url(), plugin: name)
        let old = Date().addingTimeInterval(-7200)
        try store.transaction {
            try store.markHandled(group: "g", eventID: "old", at: old)
            return (true, ())
        }
        // Another machine holds the schema's prune lock (a session of its own, as its relay would).
        let other = try PostgresStore(url: try TestPostgres.url(), plugin: name)
        let whileHeld = try other.holdingPruneLock { () throws -> Int in try store.pruneLedger(olderThan: 3600) }
        #expect(whileHeld == 0, "skipped while another machine prunes")
        #expect(try store.ledgerCount() == 1)
        #expect(try store.pruneLedger(olderThan: 3600) == 1, "pruned once the lock is free")
    }
}
