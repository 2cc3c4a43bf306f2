import EventdStore
import Foundation
import Testing

/// One store file opened twice: two connections behave towards each other as two daemons sharing a state directory.
@Suite struct SQLiteStoreTests {
    let path = NSTemporaryDirectory() + "eventd-store-\(UUID().uuidString.prefix(8))/state.sqlite"

    func counter(_ store: SQLiteStore) throws -> Int {
        Int(try store.string("n") ?? "0")!
    }

    func increment(_ store: SQLiteStore) throws {
        _ = try store.transaction {
            let next = Array(String(try counter(store) + 1).utf8)
            try Array("n".utf8).withUnsafeBytes { k in try next.withUnsafeBytes { try store.put(k, $0) } }
            return (true, ())
        }
    }

    @Test func parkedEventsOfAKeyAreOrderedByOffsetAndAcrossPartitionsWithoutACycle() throws {
        let store = try SQLiteStore(path: path)
        let key = Array("user-1".utf8)
        try store.park(group: "g", topic: "t", key: key, partition: 2, offset: 10)
        try store.park(group: "g", topic: "t", key: key, partition: 2, offset: 10)   // parked again after a crash: one row
        try store.park(group: "g", topic: "t", key: key, partition: 2, offset: 12)
        try store.park(group: "g", topic: "u", key: key, partition: 2, offset: 5)    // another topic: another order
        try store.park(group: "h", topic: "t", key: key, partition: 2, offset: 5)    // another group
        let head = try store.parkState(group: "g", topic: "t", key: key, partition: 2, offset: 10)
        #expect(head == .init(isParked: true, hasEarlier: false, rows: 2))
        let behind = try store.parkState(group: "g", topic: "t", key: key, partition: 2, offset: 12)
        #expect(behind.isParked && behind.hasEarlier)
        let fresh = try store.parkState(group: "g", topic: "t", key: key, partition: 2, offset: 20)
        #expect(!fresh.isParked && fresh.hasEarlier, "a new event of the key waits")
        #expect(try store.parkState(group: "g", topic: "t", key: Array("user-2".utf8), partition: 2, offset: 20).rows == 0)
        // The same key parked on two partitions (it moved): the smaller partition goes first, not both wait.
        try store.park(group: "g", topic: "t", key: key, partition: 1, offset: 50)
        #expect(try !store.parkState(group: "g", topic: "t", key: key, partition: 1, offset: 50).hasEarlier)
        #expect(try store.parkState(group: "g", topic: "t", key: key, partition: 2, offset: 10).hasEarlier)
        try store.unpark(group: "g", topic: "t", key: key, partition: 1, offset: 50)
        try store.unpark(group: "g", topic: "t", key: key, partition: 2, offset: 10)
        #expect(try !store.parkState(group: "g", topic: "t", key: key, partition: 2, offset: 12).hasEarlier, "released in order")
        #expect(try store.parkedKeys(group: "g").map(\.topic).sorted() == ["t", "u"])
        #expect(try store.parkedCount(group: "g") == 2)
    }

    @Test func transactionsOfTwoConnectionsDoNotInterleave() throws {
        let stores = [try SQLiteStore(path: path), try SQLiteStore(path: path)]
        let failures = UncheckedCounter()
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            for _ in 0..<200 {
                do { try increment(stores[index]) } catch { failures.add() }
            }
        }
        #expect(failures.value == 0)
        #expect(try counter(stores[0]) == 400, "a read-modify-write of one connection lost another's")
    }

    @Test func aStoreHeldByAnotherConnectionIsABusyErrorNotAnotherFailure() throws {
        let holder = try SQLiteStore(path: path)
        let other = try SQLiteStore(path: path)
        let inside = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        Thread {
            _ = try? holder.transaction {
                inside.signal()
                release.wait()
                return (false, ())
            }
        }.start()
        inside.wait()
        defer { release.signal() }
        // Waits the busy timeout (5 s), then gives up with a transient error.
        let error = #expect(throws: StoreError.self) {
            try Array("k".utf8).withUnsafeBytes { k in try Array("v".utf8).withUnsafeBytes { try other.put(k, $0) } }
        }
        #expect(error?.isBusy == true)
    }

    @Test func theRelayLeaseHasOneHolderAndPassesOnWhenItsHolderIsGone() throws {
        let store = try SQLiteStore(path: path)
        let now = Date()
        let a = RelayOwner(id: "a", host: "h/boot", pid: 101)
        let b = RelayOwner(id: "b", host: "h/boot", pid: 102)
        let alive: (Int32) -> Bool = { _ in true }

        let first = try store.acquireRelayLease(a, for: 10, now: now, isAlive: alive)
        #expect(first.held && first.takenOver == nil)
        let refused = try store.acquireRelayLease(b, for: 10, now: now.addingTimeInterval(1), isAlive: alive)
        #expect(!refused.held && refused.holder == "a")
        #expect(try store.acquireRelayLease(a, for: 10, now: now.addingTimeInterval(5), isAlive: alive).held, "renewed")
        // Not expired at 12 s (renewed at 5 s), expired at 16 s.
        #expect(try !store.acquireRelayLease(b, for: 10, now: now.addingTimeInterval(12), isAlive: alive).held)
        let expired = try store.acquireRelayLease(b, for: 10, now: now.addingTimeInterval(16), isAlive: alive)
        #expect(expired.held && expired.takenOver?.contains("expired") == true)

        // A holder whose pid is gone from this host hands over at once.
        let dead = try store.acquireRelayLease(a, for: 10, now: now.addingTimeInterval(17), isAlive: { $0 != 102 })
        #expect(dead.held && dead.takenOver == "from b: pid 102 is gone")
        // On another host (or boot) the pid says nothing: only expiry counts.
        let remote = RelayOwner(id: "c", host: "other/boot", pid: 999)
        #expect(try !store.acquireRelayLease(remote, for: 10, now: now.addingTimeInterval(18), isAlive: { _ in false }).held)

        // A clean stop releases it.
        try store.releaseRelayLease(a)
        #expect(try store.acquireRelayLease(b, for: 10, now: now.addingTimeInterval(19), isAlive: alive).held)
    }
}

final class UncheckedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

/// Savepoints: one event's writes undone inside a batch transaction, the others kept.
@Suite struct SQLiteSavepointTests {
    let path = NSTemporaryDirectory() + "eventd-savepoint-\(UUID().uuidString.prefix(8))/state.sqlite"

    func put(_ store: SQLiteStore, _ key: String, _ value: String) throws {
        try Array(key.utf8).withUnsafeBytes { k in try Array(value.utf8).withUnsafeBytes { try store.put(k, $0) } }
    }

    @Test func aRolledBackSavepointUndoesOnlyItsOwnWrites() throws {
        let store = try SQLiteStore(path: path)
        try store.transaction {
            for (id, keep) in [("e1", true), ("e2", false), ("e3", true)] {
                try store.savepoint {
                    try put(store, "state/\(id)", "applied")
                    try store.enqueue(topic: "out", key: nil, value: nil, headers: [("id", Array(id.utf8))])
                    try store.markHandled(group: "g", eventID: id)
                    return (keep, ())
                }
            }
            return (true, ())
        }
        #expect(try store.string("state/e1") == "applied")
        #expect(try store.string("state/e2") == nil)
        #expect(try store.string("state/e3") == "applied")
        #expect(try store.isHandled(group: "g", eventID: "e1") && !store.isHandled(group: "g", eventID: "e2"))
        #expect(try store.outbox(limit: 10).map { String(decoding: $0.headers[0].value!, as: UTF8.self) } == ["e1", "e3"])
    }

    @Test func aSavepointThatThrowsIsUndoneAndTheBatchRollsBackWhole() throws {
        struct Boom: Error {}
        let store = try SQLiteStore(path: path)
        _ = try? store.transaction { () throws -> (commit: Bool, result: Void) in
            try store.savepoint {
                try put(store, "a", "1")
                return (true, ())
            }
            do {
                try store.savepoint { () throws -> (commit: Bool, result: Void) in
                    try put(store, "b", "1")
                    throw Boom()
                }
            } catch is Boom {}
            #expect(try store.string("a") == "1")
            #expect(try store.string("b") == nil)
            // A crash mid-batch: nothing of the batch stays.
            throw Boom()
        }
        #expect(try store.string("a") == nil)
        #expect(try store.ledgerCount() == 0)
    }
}
