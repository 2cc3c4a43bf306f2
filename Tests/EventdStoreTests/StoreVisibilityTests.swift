// What a transaction sees: its own writes before they reach the database (PostgreSQL keeps them
// until the commit), and whatever another daemon committed, even right after this one had the value
// in hand (PostgreSQL's read cache must notice).
import EventdStore
import Foundation
import Testing

@Suite struct StoreVisibilityTests {
    func put(_ store: any PluginStore, _ key: String, _ value: String) throws {
        try Array(key.utf8).withUnsafeBytes { k in try Array(value.utf8).withUnsafeBytes { try store.put(k, $0) } }
    }

    func delete(_ store: any PluginStore, _ key: String) throws -> Bool {
        try Array(key.utf8).withUnsafeBytes { try store.delete($0) }
    }

    /// `body` in one committed transaction of `store`.
    func inTransaction<R>(_ store: any PluginStore, _ body: () throws -> R) throws -> R {
        try store.transaction { (true, try body()) }
    }

    @Test(arguments: Backend.allCases)
    func aTransactionSeesItsOwnWritesAndWhatAnotherDaemonCommitted(_ backend: Backend) throws {
        let name = Backend.uniqueName("visibility")
        let a = try backend.open(name), b = try backend.open(name)
        try put(a, "gone", "x")
        try inTransaction(a) {
            try put(a, "k", "1")
            #expect(try a.string("k") == "1", "its own write, not yet committed")
            #expect(try delete(a, "gone"))
            #expect(try !delete(a, "gone"), "deleted in this transaction")
            #expect(try a.string("gone") == nil)
            try put(a, "k", "2")
            #expect(try a.string("k") == "2")
        }
        #expect(try b.string("k") == "2" && b.string("gone") == nil)

        // A has "k" in hand; B changes it in a transaction, then outside one, then deletes it.
        #expect(try inTransaction(a) { try a.string("k") } == "2")
        try inTransaction(b) { try put(b, "k", "3") }
        #expect(try inTransaction(a) { try a.string("k") } == "3", "another daemon's commit is seen")
        try put(b, "k", "4")
        #expect(try inTransaction(a) { try a.string("k") } == "4", "another daemon's write outside a transaction is seen")
        #expect(try delete(b, "k"))
        #expect(try inTransaction(a) { try a.string("k") } == nil)

        // A rolled-back transaction leaves nothing, not even in what A remembers.
        try a.transaction {
            try put(a, "k", "5")
            return (false, ())
        }
        #expect(try inTransaction(a) { try a.string("k") } == nil)
        #expect(try b.string("k") == nil)
    }

    @Test(arguments: Backend.allCases)
    func aBatchsLedgerIsLookedUpAheadAndItsOwnEntriesCount(_ backend: Backend) throws {
        let store = try backend.open(Backend.uniqueName("lookahead"))
        try inTransaction(store) { try store.markHandled(group: "g", eventID: "e1") }
        try store.beginBatch()
        try store.prefetchHandled(group: "g", eventIDs: ["e1", "e2", "e3"])
        #expect(try store.isHandled(group: "g", eventID: "e1"))
        #expect(try !store.isHandled(group: "h", eventID: "e1"), "another group's ledger")
        #expect(try !store.isHandled(group: "g", eventID: "e2"))
        try store.savepoint {
            try store.markHandled(group: "g", eventID: "e2")
            #expect(try store.isHandled(group: "g", eventID: "e2"), "handled earlier in this batch")
            return (false, ())
        }
        #expect(try !store.isHandled(group: "g", eventID: "e2"), "its savepoint was rolled back")
        try store.savepoint {
            try store.markHandled(group: "g", eventID: "e3")
            return (true, ())
        }
        #expect(try store.isHandled(group: "g", eventID: "e3"))
        #expect(try store.isHandled(group: "g", eventID: "e1"), "asked again")
        try store.commitBatch()
        #expect(try store.isHandled(group: "g", eventID: "e3") && !store.isHandled(group: "g", eventID: "e2"))
        #expect(try store.ledgerCount() == 2)
    }

    @Test(arguments: Backend.allCases)
    func aBatchsManyWritesCommitTogetherInOrder(_ backend: Backend) throws {
        let store = try backend.open(Backend.uniqueName("many"))
        try store.beginBatch()
        for i in 0..<500 {
            try store.savepoint {
                try put(store, "user/\(i % 50)", "\(i)")
                try store.enqueue(topic: "t", key: nil, value: nil, headers: [("i", Array(String(i).utf8))])
                try store.markHandled(group: "g", eventID: "e\(i)")
                return (i % 7 != 3, ())
            }
        }
        try store.commitBatch()
        let kept = (0..<500).filter { $0 % 7 != 3 }
        for user in 0..<50 {
            #expect(try store.string("user/\(user)") == kept.last { $0 % 50 == user }.map(String.init))
        }
        #expect(try store.ledgerCount() == kept.count)
        let rows = try store.outbox(limit: 1000)
        #expect(rows.map { String(decoding: $0.headers[0].value ?? [], as: UTF8.self) } == kept.map(String.init))
    }
}
