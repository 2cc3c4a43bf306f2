// The backends every store-protocol test runs against, and the PostgreSQL server they use:
// EVENTD_POSTGRES_URL (make test starts one with .ci/postgres.sh), else one this test process
// starts with the same script in a temporary directory and stops when it exits.
import EventdStore
import Foundation
import Testing

enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgresql

    var testDescription: String { rawValue }

    /// Opens store `name` (a second open of the same name is a second daemon sharing it).
    func open(_ name: String) throws -> any PluginStore {
        switch self {
        case .sqlite: try SQLiteStore(path: NSTemporaryDirectory() + "eventd-store-\(name)/state.sqlite")
        case .postgresql: try PostgresStore(url: try TestPostgres.url(), plugin: name)
        }
    }

    /// A name no other test uses.
    static func uniqueName(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8))" }
}

enum TestPostgres {
    private static let started: Result<String, TestPostgresError> = {
        if let url = ProcessInfo.processInfo.environment["EVENTD_POSTGRES_URL"], !url.isEmpty { return .success(url) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.ci/postgres.sh").standardized.path
        let dir = NSTemporaryDirectory() + "eventd-pg-\(getpid())"
        // system(3), not Process: this runs inside a lazy static initializer that test threads wait on.
        let status = system("bash '\(script)' start '\(dir)' > '\(dir).url'")
        guard status == 0, let text = try? String(contentsOfFile: "\(dir).url", encoding: .utf8),
              let url = text.split(separator: "\n").last.map(String.init) else {
            return .failure(TestPostgresError(message: "\(script) start \(dir) failed (status \(status))"))
        }
        stopCommand = "bash '\(script)' destroy '\(dir)' >/dev/null 2>&1; rm -f '\(dir).url'"
        atexit { TestPostgres.stopCommand.map { _ = system($0) } }
        return .success(url)
    }()
    nonisolated(unsafe) private static var stopCommand: String?

    /// The server's URL. - Throws: when no server could be started (a failure, never a skip).
    static func url() throws -> String { try started.get() }
}

struct TestPostgresError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
