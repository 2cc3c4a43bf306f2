// A relay that cannot send the rows it claimed (its daemon cut off from the brokers)
// gives them back, and another daemon's relay sends them at once, in order.
import EventdStore
import Foundation
import Testing

@Suite struct OutboxClaimReleaseTests {
    @Test func aReleasedClaimGoesToTheNextRelayInCommitOrder() throws {
        let name = Backend.uniqueName("release")
        let a = try PostgresStore(url: try TestPostgres.url(), plugin: name)
        let b = try PostgresStore(url: try TestPostgres.url(), plugin: name)
        try a.transaction {
            for i in 0..<6 { try a.enqueue(topic: "t", key: nil, value: nil, headers: [("n", Array("\(i)".utf8))]) }
            return (true, ())
        }
        let claimed = try a.outbox(limit: 4)
        #expect(claimed.count == 4)
        #expect(try b.outbox(limit: 10).isEmpty, "rows behind A's claim wait while A holds it")
        try a.releaseOutboxClaim()
        let taken = try b.outbox(limit: 10)
        #expect(taken.map(\.seq) == Array(claimed[0].seq...claimed[0].seq + 5), "B sends every row, oldest first")
        try b.deleteOutbox(through: taken[5].seq)
        #expect(try a.outbox(limit: 10).isEmpty, "once sent, nothing is left for A")
    }
}
