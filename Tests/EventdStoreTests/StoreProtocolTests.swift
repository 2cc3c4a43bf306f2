// The store protocol, one suite for every backend (Backend): what delivery relies on holds
// on SQLite and on PostgreSQL alike.
import EventdStore
import Foundation
import Testing

/// Two opens of one store behave towards each other as two daemons sharing it.
@Suite struct StoreProtocolTests {
    func counter(_ store: any PluginStore) throws -> Int {
        Int(try store.string("n") ?? "0")!
    }

    func increment(_ store: any PluginStore) throws {
        _ = try store.transaction {
            let next = Array(String(try counter(store) + 1).utf8)
            try Array("n".utf8).withUnsafeBytes { k in try next.withUnsafeBytes { try store.put(k, $0) } }
            return (true, ())
        }
    }

    @Test(arguments: Backend.allCases)
    func parkedEventsOfAKeyAreOrderedByOffsetAndAcrossPartitionsWithoutACycle(_ backend: Backend) throws {
        let store = try backend.open(Backend.uniqueName("park"))
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

    @Test(arguments: Backend.allCases)
    func transactionsOfTwoConnectionsDoNotInterleave(_ backend: Backend) throws {
        let name = Backend.uniqueName("interleave")
        let stores = [try backend.open(name), try backend.open(name)]
        let failures = UncheckedCounter()
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            for _ in 0..<200 {
                do { try increment(stores[index]) } catch { failures.add() }
            }
        }
        #expect(failures.value == 0)
        #expect(try counter(stores[0]) == 400, "a read-modify-write of one connection lost another's")
    }
}

/// Savepoints: one event's writes undone inside a batch transaction, the others kept.
@Suite struct StoreSavepointTests {
    func put(_ store: any PluginStore, _ key: String, _ value: String) throws {
        try Array(key.utf8).withUnsafeBytes { k in try Array(value.utf8).withUnsafeBytes { try store.put(k, $0) } }
    }

    @Test(arguments: Backend.allCases)
    func aRolledBackSavepointUndoesOnlyItsOwnWrites(_ backend: Backend) throws {
        let store = try backend.open(Backend.uniqueName("savepoint"))
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

    @Test(arguments: Backend.allCases)
    func aSavepointThatThrowsIsUndoneAndTheBatchRollsBackWhole(_ backend: Backend) throws {
        struct Boom: Error {}
        let store = try backend.open(Backend.uniqueName("savepoint"))
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

/// State, ledger, markers and outbox as delivery uses them.
@Suite struct StoreBookkeepingTests {
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test(arguments: Backend.allCases)
    func stateValuesArePutReadAndDeleted(_ backend: Backend) throws {
        let store = try backend.open(Backend.uniqueName("kv"))
        try bytes("k").withUnsafeBytes { k in try bytes("v1").withUnsafeBytes { try store.put(k, $0) } }
        try bytes("k").withUnsafeBytes { k in try bytes("v2").withUnsafeBytes { try store.put(k, $0) } }
        try bytes("empty").withUnsafeBytes { k in try [UInt8]().withUnsafeBytes { try store.put(k, $0) } }
        #expect(try store.string("k") == "v2")
        #expect(try store.string("empty") == "", "an empty value is a value, not an absent key")
        #expect(try store.string("none") == nil)
        #expect(try bytes("k").withUnsafeBytes { try store.delete($0) })
        #expect(try !bytes("k").withUnsafeBytes { try store.delete($0) })
        #expect(try store.string("k") == nil)
    }

    @Test(arguments: Backend.allCases)
    func stateIsListedByPrefixInKeyOrder(_ backend: Backend) throws {
        let store = try #require(try backend.open(Backend.uniqueName("browse")) as? any StateBrowsing)
        for key in ["b/1", "a/2", "a/1", "ab"] {
            try bytes(key).withUnsafeBytes { k in try bytes("v-\(key)").withUnsafeBytes { try store.put(k, $0) } }
        }
        #expect(try store.entries(prefix: bytes("a/"), limit: 10).map { String(decoding: $0.key, as: UTF8.self) } == ["a/1", "a/2"])
        #expect(try store.entries(prefix: bytes("a/"), limit: 10).first?.value == bytes("v-a/1"))
        #expect(try store.entries(prefix: [], limit: 3).count == 3)
        #expect(try store.entries(prefix: bytes("z"), limit: 10).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func theLedgerIsPerGroupIdempotentAndPrunedByAge(_ backend: Backend) throws {
        let store = try backend.open(Backend.uniqueName("ledger"))
        let now = Date()
        try store.transaction {
            try store.markHandled(group: "g", eventID: "old", at: now.addingTimeInterval(-7200))
            try store.markHandled(group: "g", eventID: "new", at: now)
            try store.markHandled(group: "g", eventID: "new", at: now)   // a duplicate entry is no error
            return (true, ())
        }
        #expect(try store.isHandled(group: "g", eventID: "new") && !store.isHandled(group: "h", eventID: "new"))
        #expect(try store.ledgerCount() == 2)
        #expect(try store.pruneLedger(olderThan: 3600, now: now) == 1)
        #expect(try !store.isHandled(group: "g", eventID: "old") && store.isHandled(group: "g", eventID: "new"))
    }

    @Test(arguments: Backend.allCases)
    func markersCountStartsAndABatchLeftBehindIsReported(_ backend: Backend) throws {
        let store = try backend.open(Backend.uniqueName("markers"))
        #expect(try store.startDelivery(group: "g", topic: "t", partition: 1, offset: 7) == 1)
        #expect(try store.startDelivery(group: "g", topic: "t", partition: 1, offset: 7) == 2, "started again: the daemon died")
        try store.finishDelivery(group: "g", topic: "t", partition: 1, offset: 7)
        #expect(try store.startDelivery(group: "g", topic: "t", partition: 1, offset: 7, inherited: 3) == 4)
        #expect(try store.startBatch(group: "g", topic: "t", partition: 1, offsets: 10...20) == 0)
        // The daemon died in that batch: an overlapping batch gets its starts and no marker.
        #expect(try store.startBatch(group: "g", topic: "t", partition: 1, offsets: 15...30) == 1)
        #expect(try store.startBatch(group: "g", topic: "t", partition: 2, offsets: 15...30) == 0, "another partition")
        try store.finishBatch(group: "g", topic: "t", partition: 1, through: 20)
        #expect(try store.startBatch(group: "g", topic: "t", partition: 1, offsets: 15...30) == 0)
    }

    @Test(arguments: Backend.allCases)
    func theOutboxKeepsCommitOrderHeadersAndNulls(_ backend: Backend) throws {
        let store = try backend.open(Backend.uniqueName("outbox"))
        try store.transaction {
            for i in 0..<5 {
                try bytes("k\(i)").withUnsafeBytes { k in
                    try store.enqueue(topic: "t\(i)", key: i == 0 ? nil : k, value: i == 1 ? nil : k,
                                      headers: [("id", bytes("e\(i)")), ("none", nil)])
                }
            }
            return (true, ())
        }
        let rows = try store.outbox(limit: 3)
        #expect(rows.map(\.topic) == ["t0", "t1", "t2"])
        #expect(rows[0].key == nil && rows[1].value == nil && rows[2].key == bytes("k2"))
        #expect(rows[2].headers.map(\.name) == ["id", "none"] && rows[2].headers[1].value == nil)
        try store.deleteOutbox(through: rows[2].seq)
        #expect(try store.outbox(limit: 10).map(\.topic) == ["t3", "t4"])
    }
}
