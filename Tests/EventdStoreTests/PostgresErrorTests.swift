// How PostgreSQL failures reach delivery: a deadlock or serialization failure is
// transient (a retry of the event), never a reason to reject it.
@testable import EventdStore
import Foundation
import Testing

@Suite struct PostgresErrorTests {
    @Test func aDeadlockIsABusyErrorThatDeliveryRetries() throws {
        let url = try TestPostgres.url()
        let schema = PostgresStore.schemaName(plugin: Backend.uniqueName("deadlock"))
        _ = try PostgresStore(url: url, plugin: schema.replacingOccurrences(of: "eventd_", with: ""))
        let setup = ["SET search_path TO \"\(schema)\""]
        let one = try PostgresConnection(url: url, setup: setup, name: schema)
        let two = try PostgresConnection(url: url, setup: setup, name: schema)
        try one.simple("INSERT INTO kv VALUES ('\\x01', '\\x00'), ('\\x02', '\\x00')")
        try one.simple("BEGIN; UPDATE kv SET value = '\\x01' WHERE key = '\\x01'")
        try two.simple("BEGIN; UPDATE kv SET value = '\\x02' WHERE key = '\\x02'")
        // Each waits for the row the other holds: the server breaks the cycle after deadlock_timeout (1 s).
        let failures = UncheckedErrors()
        let crossed = DispatchGroup()
        for (session, key) in [(one, "\\x02"), (two, "\\x01")] {
            crossed.enter()
            // Each session is used by its own thread only.
            nonisolated(unsafe) let connection = session
            Thread {
                do { try connection.simple("UPDATE kv SET value = '\\x03' WHERE key = '\(key)'") } catch { failures.add(error) }
                try? connection.simple("ROLLBACK")   // the victim's locks went with its error; the survivor's go here
                crossed.leave()
            }.start()
        }
        #expect(crossed.wait(timeout: .now() + 30) == .success)
        #expect(failures.count == 1, "one victim")
        let error = try #require(failures.first as? StoreError)
        #expect(error.isBusy && !error.isUnavailable, "\(error)")
        #expect(error.description.contains("deadlock"))
    }
}

final class UncheckedErrors: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [any Error] = []
    func add(_ error: any Error) { lock.withLock { errors.append(error) } }
    var count: Int { lock.withLock { errors.count } }
    var first: (any Error)? { lock.withLock { errors.first } }
}
