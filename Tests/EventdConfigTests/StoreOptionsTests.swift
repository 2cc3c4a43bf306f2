// `[store]`: backend and URL, and a password that never sits in the file.
import EventdConfig
import Foundation
import Testing

@Suite struct StoreOptionsTests {
    /// The shipped daemon file with `[store]`'s keys replaced by `lines`.
    func daemonText(_ lines: String) throws -> String {
        try Shipped.text().replacingOccurrences(of: "backend = \"sqlite\"\n", with: "")
            .replacingOccurrences(of: "\nurl = \"\"\n", with: "\n")
            .replacingOccurrences(of: "[store]\n", with: "[store]\n\(lines)\n")
    }

    @Test func theShippedDefaultIsSQLite() throws {
        let config = try ConfigurationLoader.parseDaemon(text: Shipped.text(), file: Shipped.daemonFile)
        #expect(config.store == StoreOptions())
        #expect(config.store.backend == .sqlite && config.store.url.isEmpty)
    }

    @Test func postgresqlTakesALibpqURI() throws {
        let config = try ConfigurationLoader.parseDaemon(text: try daemonText("""
            backend = "postgresql"
            url = "postgresql:///devtrip?host=/run/postgresql"
            """), file: "eventd.toml")
        #expect(config.store.backend == .postgresql && config.store.url == "postgresql:///devtrip?host=/run/postgresql")
    }

    @Test func aPasswordInTheFileIsRefusedWithTheLine() throws {
        for url in ["postgresql://eventd:hunter2@db/devtrip", "postgresql://eventd@db/devtrip?sslmode=require&password=hunter2"] {
            let text = try daemonText("backend = \"postgresql\"\nurl = \"\(url)\"")
            let error = daemonError(text)
            #expect(error?.reason.contains("holds a password") == true, "\(url)")
            #expect(error?.line == text.components(separatedBy: "\n").firstIndex { $0.hasPrefix("url = \"postgresql") }! + 1)
        }
    }

    @Test func aCredentialReferenceBringsThePasswordInAndItIsSecret() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        try dir.write("creds/pg-password", "pg-s3cret\n")
        let resolver = CredentialResolver(environment: ["CREDENTIALS_DIRECTORY": "\(dir.path)/creds"])
        let config = try ConfigurationLoader.parseDaemon(text: try daemonText("""
            backend = "postgresql"
            url = "postgresql://eventd@db/devtrip?password=${credential:pg-password}"
            """), file: "eventd.toml", credentials: resolver)
        #expect(config.store.url == "postgresql://eventd@db/devtrip?password=pg-s3cret")
        #expect(config.secrets.redact("connecting \(config.store.url)") == "connecting postgresql://eventd@db/devtrip?password=[redacted]")
    }

    @Test func aWrongBackendOrAMisplacedURLIsRefused() throws {
        #expect(daemonError(try daemonText("backend = \"mysql\""))?.reason.contains("must be one of sqlite, postgresql") == true)
        #expect(daemonError(try daemonText("backend = \"postgresql\""))?.reason.contains("libpq connection URI") == true)
        #expect(daemonError(try daemonText("url = \"postgresql:///x\""))?.reason.contains("is for backend = \"postgresql\"") == true)
    }
}
