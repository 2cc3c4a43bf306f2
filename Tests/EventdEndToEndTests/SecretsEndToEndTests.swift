// Secrets from systemd credentials through the real binary: substituted at
// start, refused by name when missing, and never printed anywhere.
import Foundation
import Testing

@Suite struct SecretsEndToEndTests {
    static let password = "pw-7f3a9c1e-never-print-me"
    static let clientID = "cid-52b8d0-also-secret"

    /// A configuration whose consumers and producer take `sasl.password` and
    /// `client.id` from credentials, at debug level with librdkafka's `debug=conf` dump on.
    func credentialConfiguration(_ tag: String) throws -> (dir: String, config: String, credentials: String) {
        let dir = try Harness.temporaryDirectory(tag)
        let credentials = "\(dir)/credentials"
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        try "\(Self.password)\n".write(toFile: "\(credentials)/kafka-password", atomically: true, encoding: .utf8)
        try Self.clientID.write(toFile: "\(credentials)/client-id", atomically: true, encoding: .utf8)
        // client.id is not a property librdkafka hides in its own dump: only the daemon's redaction stands between it and the log.
        let props = "\"sasl.password\" = \"${credential:kafka-password}\"\n\"client.id\" = \"${credential:client-id}\"\n\"debug\" = \"conf\"\n"
        let config = try Harness.configuration(in: dir, replacing: [
            ("log_level = \"info\"", "log_level = \"debug\""),
            ("[kafka.consumer]\n", "[kafka.consumer]\n\(props)"),
            ("[kafka.producer]\n", "[kafka.producer]\n\(props)"),
        ])
        return (dir, config, credentials)
    }

    func checkConfig(_ config: String, environment: [String: String]) throws -> Captured {
        var env = ProcessInfo.processInfo.environment
        env["CREDENTIALS_DIRECTORY"] = nil
        env.merge(environment) { _, new in new }
        return try Captured("/usr/bin/env", ["-i"] + env.map { "\($0.key)=\($0.value)" } + [Harness.daemonBinary, "--check-config", "--config", config])
    }

    @Test func missingCredentialIsAStartAndCheckConfigErrorNamingIt() throws {
        let (dir, config, credentials) = try credentialConfiguration("nocred")
        try FileManager.default.removeItem(atPath: "\(credentials)/kafka-password")
        let check = try checkConfig(config, environment: ["CREDENTIALS_DIRECTORY": credentials])
        let output = String(decoding: check.stdout + check.stderr, as: UTF8.self)
        #expect(check.status == 2)
        #expect(output.contains("kafka.consumer.sasl.password: credential 'kafka-password' does not exist (\(credentials)/kafka-password)"), "\(output)")

        let unset = try checkConfig(config, environment: [:])
        #expect(unset.status == 2)
        #expect(String(decoding: unset.stderr, as: UTF8.self).contains("credential 'client-id' is not available: $CREDENTIALS_DIRECTORY is not set")
            || String(decoding: unset.stderr, as: UTF8.self).contains("credential 'kafka-password' is not available: $CREDENTIALS_DIRECTORY is not set"))

        // The daemon itself refuses to start the same way.
        let start = try Captured("/usr/bin/env", ["CREDENTIALS_DIRECTORY=\(credentials)", Harness.daemonBinary, "--config", config,
                                                  "--state-dir", "\(dir)/state", "--runtime-dir", "\(dir)/run", "--control-socket", "\(dir)/run/c.sock"])
        #expect(start.status == 2)
        #expect(String(decoding: start.stderr, as: UTF8.self).contains("credential 'kafka-password' does not exist"))
    }

    @Test func noSecretInLogsStatusStatsOrCheckConfig() throws {
        let (dir, config, credentials) = try credentialConfiguration("secrets")
        let check = try checkConfig(config, environment: ["CREDENTIALS_DIRECTORY": credentials])
        #expect(check.status == 0)
        var seen = String(decoding: check.stdout + check.stderr, as: UTF8.self)
        #expect(seen.contains("configuration OK"))

        let pluginDir = try Harness.pluginDirectory(in: dir, plugins: ["echo"])
        let daemon = try DaemonUnderTest(config: config, brokers: "embedded", pluginDir: pluginDir, dir: dir,
                                         environment: ["CREDENTIALS_DIRECTORY": credentials])
        try daemon.waitForAssignment(groups: 1)
        for args in [["status"], ["status", "--json"], ["stats"], ["stats", "--json"], ["plugin-list", "--json"], ["reload"]] {
            let result = try Eventctl.run(args, socket: daemon.socket)
            #expect(result.status == 0, "\(args): \(result.stderr)")
            seen += result.stdout + result.stderr
        }
        daemon.child.stop()
        let log = daemon.child.log
        seen += log
        // librdkafka did dump its configuration (so the test looks where a secret would be) and the daemon hid it.
        #expect(log.contains("CONF"), "librdkafka's debug=conf dump is in the log")
        #expect(log.contains("client.id = [redacted]"), "the credential in a property librdkafka does not hide was hidden by the daemon")
        #expect(log.contains("sasl.password = [redacted]"))
        for secret in [Self.password, Self.clientID] {
            #expect(!seen.contains(secret), "secret '\(secret)' leaked")
        }
    }
}
