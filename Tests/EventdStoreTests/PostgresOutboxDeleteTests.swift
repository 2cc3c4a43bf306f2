// The outbox relay on PostgreSQL deletes the rows it claimed and sent, never a row committed beside them.
@testable import EventdStore
import Foundation
import Testing

/// The relay deletes what it sent, nothing else.
@Suite struct PostgresOutboxDeleteTests {
    @Test func aRowCommittedLateWithALowerSeqIsNotDeletedWithTheClaimBehindIt() throws {
        let url = try TestPostgres.url()
        let plugin = Backend.uniqueName("late")
        let store = try PostgresStore(url: url, plugin: plugin)
        let late = try PostgresConnection(url: url, setup: ["SET search_path TO \"\(PostgresStore.schemaName(plugin: plugin))\""], name: "late")
        // Another writer takes the next seq and commits only after the relay claimed the rows behind it.
        try late.simple("BEGIN; INSERT INTO outbox(topic, headers) VALUES ('late', '\\x')")
        for i in 0..<3 { try store.enqueue(topic: "t", key: nil, value: nil, headers: [("n", Array("\(i)".utf8))]) }
        let claimed = try store.outbox(limit: 10)
        #expect(claimed.map(\.topic) == ["t", "t", "t"])
        try late.simple("COMMIT")
        try store.deleteOutbox(through: try #require(claimed.last).seq)
        // The old `DELETE … WHERE seq <= last` took the late row with the claim: a follow-up never sent.
        #expect(try store.outbox(limit: 10).map(\.topic) == ["late"])
    }
}
