// Commits sent before they are durable (`sendBatch`): the next transaction begins
// on top of them; on PostgreSQL a commit that fails takes the ones begun on it
// along, nothing of them is written, and the schema's lock passes to another
// daemon between batches.
@testable import EventdStore
import Foundation
import Testing

@Suite struct CommitPipelineTests {
    func put(_ store: any PluginStore, _ key: String, _ value: String) throws {
        try Array(key.utf8).withUnsafeBytes { k in try Array(value.utf8).withUnsafeBytes { try store.put(k, $0) } }
    }

    /// One batch of one event: `key` set to `value`, the event's ledger entry and a follow-up.
    func batch(_ store: any PluginStore, _ key: String, _ value: String, event: String) throws -> PendingCommit {
        try store.beginBatch()
        try store.prefetchHandled(group: "g", eventIDs: [event])
        try store.savepoint {
            try put(store, key, value)
            try store.markHandled(group: "g", eventID: event)
            try Array(value.utf8).withUnsafeBytes { try store.enqueue(topic: "t", key: nil, value: $0, headers: []) }
            return (true, ())
        }
        return try store.sendBatch()
    }

    /// The batch after `batch(store, "wallet/u1", "1", event: "e1")`, begun before that one's commit is known
    /// durable: it finds e1 handled and the wallet at "1", and sets it to "2" (event e2).
    func batchOnTop(_ store: any PluginStore) throws -> PendingCommit {
        try store.beginBatch()
        try store.prefetchHandled(group: "g", eventIDs: ["e1", "e2"])
        #expect(try store.isHandled(group: "g", eventID: "e1"), "the ledger entry of the commit sent before")
        #expect(try store.string("wallet/u1") == "1", "the value the commit sent before wrote")
        try store.savepoint {
            try put(store, "wallet/u1", "2")
            try store.markHandled(group: "g", eventID: "e2")
            return (true, ())
        }
        return try store.sendBatch()
    }

    /// A session of the test's own on the same schema, holding the row every commit sets its version in:
    /// the store's commits wait for it until `end` commits or rolls back.
    func holdCommits(_ schema: String) throws -> PostgresConnection {
        let other = try PostgresConnection(url: try TestPostgres.url(), setup: PostgresStore.sessionSetup(schema), name: "test")
        try other.simple("BEGIN; SELECT n FROM commits FOR UPDATE")
        return other
    }

    @Test(arguments: Backend.allCases)
    func aBatchBegunBeforeTheLastCommitIsDurableSeesItsWritesAndLedger(_ backend: Backend) throws {
        let store = try backend.open(Backend.uniqueName("pipeline"))
        let first = try batch(store, "wallet/u1", "1", event: "e1")
        let second = try batchOnTop(store)
        try first.wait()
        try second.wait()
        #expect(try store.string("wallet/u1") == "2")
        #expect(try store.ledgerCount() == 2)
        #expect(try store.outbox(limit: 10).map { String(decoding: $0.value ?? [], as: UTF8.self) } == ["1"])
    }

    @Test func onPostgreSQLTheNextBatchIsHandledWhileTheCommitWaitsAndBothLand() throws {
        let store = try PostgresStore(url: try TestPostgres.url(), plugin: Backend.uniqueName("pipeline-wait"))
        try batch(store, "wallet/u1", "0", event: "e0").wait()
        let held = try holdCommits(store.schema)
        let first = try batch(store, "wallet/u1", "1", event: "e1")
        let second = try batchOnTop(store)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(first.result == nil && second.result == nil, "neither is durable while the server waits")
        #expect(try store.ledgerCount() == 1)
        try held.simple("ROLLBACK")
        try first.wait()
        try second.wait()
        #expect(try store.string("wallet/u1") == "2")
        #expect(try store.ledgerCount() == 3)
    }

    @Test func onPostgreSQLACommitThatFindsAnotherWritersCommitFailsWithTheOnesBegunOnItAndWritesNothing() throws {
        let store = try PostgresStore(url: try TestPostgres.url(), plugin: Backend.uniqueName("pipeline-conflict"))
        try batch(store, "wallet/u1", "0", event: "e0").wait()
        let held = try holdCommits(store.schema)
        let first = try batch(store, "wallet/u1", "1", event: "e1")
        let second = try batch(store, "wallet/u2", "2", event: "e2")
        // Another writer commits first: the first commit expected the count before it.
        try held.simple("UPDATE commits SET n = n + 1; COMMIT")
        let error = #expect(throws: StoreError.self) { try first.wait() }
        #expect(error?.isBusy == true, "a retry, not a failure of the events")
        #expect(throws: StoreError.self, "begun on the failed one") { try second.wait() }
        #expect(try store.string("wallet/u1") == "0" && store.string("wallet/u2") == nil)
        #expect(try store.ledgerCount() == 1)
        #expect(try store.outbox(limit: 10).count == 1)
        // The next batch reads the count again and commits.
        try batch(store, "wallet/u1", "3", event: "e1").wait()
        #expect(try store.string("wallet/u1") == "3")
        #expect(try store.ledgerCount() == 2)
    }

    @Test func onPostgreSQLAnotherDaemonGetsTheSchemaOnceTheCommitsSentLandWithoutAWait() throws {
        let name = Backend.uniqueName("pipeline-lock")
        let a = try PostgresStore(url: try TestPostgres.url(), plugin: name)
        let b = try PostgresStore(url: try TestPostgres.url(), plugin: name)
        try batch(a, "k", "0", event: "a0").wait()
        let held = try holdCommits(a.schema)
        let sent = try batch(a, "k", "a", event: "a1")
        let entered = DispatchSemaphore(value: 0)
        let failed = UncheckedCounter()
        Thread.detachNewThread {
            do {
                try b.beginBatch()
                entered.signal()
                b.rollbackBatch()
            } catch {
                failed.add()
                entered.signal()
            }
        }
        #expect(entered.wait(timeout: .now() + 0.5) == .timedOut, "B waits while A's commit is on its way")
        try held.simple("ROLLBACK")
        // A's engine has not waited for the commit (it may be waiting for another schema): the lock goes anyway.
        #expect(entered.wait(timeout: .now() + 10) == .success)
        #expect(failed.value == 0)
        try sent.wait()
        try batch(b, "k", "b", event: "b1").wait()
        #expect(try a.string("k") == "b")
    }

    @Test func onPostgreSQLTwoDaemonsThatSentOneSchemasCommitAndBeginTheOthersDoNotWaitForEachOther() throws {
        let x = Backend.uniqueName("pipeline-x"), y = Backend.uniqueName("pipeline-y")
        let url = try TestPostgres.url()
        let a = (x: try PostgresStore(url: url, plugin: x), y: try PostgresStore(url: url, plugin: y))
        let b = (x: try PostgresStore(url: url, plugin: x), y: try PostgresStore(url: url, plugin: y))
        // Each daemon's thread sends one schema's commit, does not wait for it, and begins the other schema's batch.
        let sentA = try batch(a.x, "k", "a", event: "a1")
        let sentB = try batch(b.y, "k", "b", event: "b1")
        let done = DispatchSemaphore(value: 0)
        let failed = UncheckedCounter()
        for (store, event) in [(a.y as PostgresStore, "a2"), (b.x, "b2")] {
            Thread.detachNewThread {
                do { try batch(store, "k", event, event: event).wait() } catch { failed.add() }
                done.signal()
            }
        }
        #expect(done.wait(timeout: .now() + 20) == .success && done.wait(timeout: .now() + 20) == .success, "no deadlock")
        #expect(failed.value == 0)
        try sentA.wait()
        try sentB.wait()
        #expect(try a.x.ledgerCount() == 2 && a.y.ledgerCount() == 2)
    }

    @Test func onPostgreSQLADaemonWhoseBatchesNeverPauseStillLetsAnotherHaveItsTurn() throws {
        let name = Backend.uniqueName("pipeline-turn")
        let a = try PostgresStore(url: try TestPostgres.url(), plugin: name)
        let b = try PostgresStore(url: try TestPostgres.url(), plugin: name)
        let started = DispatchSemaphore(value: 0), entered = DispatchSemaphore(value: 0)
        let stop = UncheckedCounter(), failed = UncheckedCounter()
        // A begins every batch on top of the last commit sent, never waiting for one: its lock never falls idle.
        Thread.detachNewThread {
            var sent: [PendingCommit] = []
            var i = 0
            while stop.value == 0 {
                do { sent.append(try batch(a, "a/\(i % 10)", "\(i)", event: "a\(i)")) } catch { failed.add() }
                if i == 0 { started.signal() }
                i += 1
            }
            for commit in sent { do { try commit.wait() } catch { failed.add() } }
            entered.signal()
        }
        started.wait()
        Thread.sleep(forTimeInterval: 0.1)
        let turn = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            do {
                try b.beginBatch()
                b.rollbackBatch()
            } catch {
                failed.add()
            }
            turn.signal()
        }
        let got = turn.wait(timeout: .now() + 5)
        stop.add()
        #expect(got == .success, "B still waits after 5 s for a daemon that never paused")
        #expect(entered.wait(timeout: .now() + 30) == .success)
        if got == .timedOut { _ = turn.wait(timeout: .now() + 30) }
        #expect(failed.value == 0)
    }
}
