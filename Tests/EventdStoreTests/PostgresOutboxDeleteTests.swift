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

@Suite struct PostgresSchemaTests {
    @Test func stateDocumentsAreCompressedWithLZ4() throws {
        let url = try TestPostgres.url()
        let plugin = Backend.uniqueName("lz4")
        let store = try PostgresStore(url: url, plugin: plugin)
        let schema = PostgresStore.schemaName(plugin: plugin)
        var method = ""
        try store.run("SELECT attcompression::text FROM pg_attribute WHERE attrelid = '\(schema).kv'::regclass AND attname = 'value'") {
            method = $0.text(0)
        }
        #expect(method == "l", "pg_attribute.attcompression of kv.value: 'l' is lz4")
        // A large document goes in and comes back as it was.
        let document = Array(String(repeating: "{\"missions\":{}}", count: 600).utf8)
        try store.transaction {
            try Array("k".utf8).withUnsafeBytes { key in try document.withUnsafeBytes { try store.put(key, $0) } }
            return (true, ())
        }
        var read: [UInt8]?
        try store.run("SELECT value FROM kv WHERE key = '\\x6b'") { read = $0.bytes(0) }
        #expect(read == document)
    }
}
