import EventdStore
import Foundation
import Testing

/// What holds on SQLite alone (StoreProtocolTests runs the rest on both backends). One store file
/// opened twice: two connections behave towards each other as two daemons sharing a state directory.
@Suite struct SQLiteStoreTests {
    let path = NSTemporaryDirectory() + "eventd-store-\(UUID().uuidString.prefix(8))/state.sqlite"

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
