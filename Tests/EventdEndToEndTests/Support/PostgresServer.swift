// A PostgreSQL server of one test (.ci/postgres.sh: Debian's postgresql, unprivileged, in the
// test's directory, Unix socket only), stopped and restarted by the fault tests, read with psql.
import Foundation

final class PostgresServer {
    static let script = "\(Harness.repo)/.ci/postgres.sh"
    let dir: String
    private(set) var url = ""

    init(dir: String) throws {
        self.dir = dir
        try start()
    }

    deinit { _ = try? Captured("/bin/bash", [Self.script, "destroy", dir]) }

    func start() throws { url = try Self.control("start", dir) }
    func stop() throws { _ = try Self.control("stop", dir) }

    @discardableResult
    private static func control(_ command: String, _ dir: String) throws -> String {
        let run = try Captured("/bin/bash", [script, command, dir])
        guard run.status == 0 else {
            throw HarnessError("postgres.sh \(command) \(dir) failed: \(String(decoding: run.stderr, as: UTF8.self))")
        }
        return String(decoding: run.stdout, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
    }

    /// The rows `sql` returns, columns split on tabs.
    func query(_ sql: String) throws -> [[String]] {
        let run = try Captured("/usr/bin/psql", [url, "-X", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql])
        guard run.status == 0 else { throw HarnessError("psql: \(sql): \(String(decoding: run.stderr, as: UTF8.self))") }
        return String(decoding: run.stdout, as: UTF8.self).split(separator: "\n").map { $0.components(separatedBy: "\t") }
    }

    /// A plugin's key-value state (values as UTF-8 text).
    func pluginState(_ plugin: String) throws -> [String: String] {
        let schema = "eventd_" + plugin.replacingOccurrences(of: "-", with: "_")
        var state: [String: String] = [:]
        for row in try query("SELECT convert_from(key, 'UTF8'), convert_from(value, 'UTF8') FROM \(schema).kv") where row.count == 2 {
            state[row[0]] = row[1]
        }
        return state
    }

    /// The shipped configuration's `[store]` lines, pointing at this server.
    var storeReplacement: [(String, String)] {
        [("backend = \"sqlite\"\n", "backend = \"postgresql\"\n"), ("\nurl = \"\"\n", "\nurl = \"\(url)\"\n")]
    }
}
