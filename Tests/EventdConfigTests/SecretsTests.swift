// `${credential:NAME}` / `${file:/path}` in librdkafka properties, and which values count as secret.
import EventdConfig
import EventdRouting
import Foundation
import Testing

@Suite struct SecretsTests {
    /// A daemon file whose `[kafka.consumer]` holds `properties` (TOML lines).
    func daemonText(_ properties: String) throws -> String {
        try Shipped.text().replacingOccurrences(of: "[kafka.consumer]\n", with: "[kafka.consumer]\n\(properties)\n")
    }

    @Test func credentialReferenceIsReplacedByTheFileInCredentialsDirectory() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        try dir.write("creds/kafka-password", "s3cr3t-from-systemd\n")
        let resolver = CredentialResolver(environment: ["CREDENTIALS_DIRECTORY": "\(dir.path)/creds"])
        let text = try daemonText(#""sasl.username" = "${credential:kafka-password}-user""#)
        let config = try ConfigurationLoader.parseDaemon(text: text, file: "eventd.toml", credentials: resolver)
        #expect(config.consumerProperties["sasl.username"] == "s3cr3t-from-systemd-user", "one trailing newline trimmed, text around kept")
        #expect(config.secrets.values.contains("s3cr3t-from-systemd"), "a credential's contents are secret whatever the property")
        #expect(!config.secrets.values.contains("s3cr3t-from-systemd-user"), "sasl.username is not secret-named")
    }

    @Test func fileReferenceWorksWithoutSystemd() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let path = try dir.write("key-password", "pem-pass-phrase\r\n")
        let text = try daemonText(#""ssl.key.password" = "${file:\#(path)}""#)
        let config = try ConfigurationLoader.parseDaemon(text: text, file: "eventd.toml", credentials: CredentialResolver(environment: [:]))
        #expect(config.consumerProperties["ssl.key.password"] == "pem-pass-phrase")
        #expect(config.secrets.values == ["pem-pass-phrase"])
    }

    @Test func missingCredentialNamesItAndTheLine() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let text = try daemonText(#""sasl.password" = "${credential:broker-pass}""#)
        let line = text.components(separatedBy: "\n").firstIndex { $0.hasPrefix("\"sasl.password\"") }! + 1
        let withDir = CredentialResolver(environment: ["CREDENTIALS_DIRECTORY": dir.path])
        #expect(throws: ConfigError(file: "eventd.toml", line: line,
                                    reason: "kafka.consumer.sasl.password: credential 'broker-pass' does not exist (\(dir.path)/broker-pass)")) {
            try ConfigurationLoader.parseDaemon(text: text, file: "eventd.toml", credentials: withDir)
        }
        let error = #expect(throws: ConfigError.self) {
            try ConfigurationLoader.parseDaemon(text: text, file: "eventd.toml", credentials: CredentialResolver(environment: [:]))
        }
        #expect(error?.reason.contains("credential 'broker-pass' is not available: $CREDENTIALS_DIRECTORY is not set") == true)
    }

    @Test func malformedReferencesAreRefused() throws {
        let resolver = CredentialResolver(environment: ["CREDENTIALS_DIRECTORY": "/nonexistent"])
        for (value, reason) in [("${credential:../etc/shadow}", "is not a plain file name"), ("${file:relative}", "must be an absolute path"),
                                ("${env:HOME}", "unknown reference"), ("${credential:x", "unterminated reference"),
                                ("${credential:}", "is not a plain file name")] {
            let error = #expect(throws: ConfigError.self) {
                try ConfigurationLoader.parseDaemon(text: try daemonText("\"sasl.password\" = \"\(value)\""), file: "f", credentials: resolver)
            }
            #expect(error?.reason.contains(reason) == true, "\(value): \(error?.reason ?? "")")
        }
    }

    @Test func secretNamedPropertiesAreSecretEvenWhenWrittenInTheFile() throws {
        let text = try daemonText(#""sasl.oauthbearer.client.secret" = "client-secret-value"\#n"ssl.key.pem" = "-----BEGIN KEY-----"\#n"ssl.key.location" = "/etc/ssl/private/k.pem""#)
        let config = try ConfigurationLoader.parseDaemon(text: text, file: "f")
        #expect(Set(config.secrets.values) == ["client-secret-value", "-----BEGIN KEY-----"], "a key's location is a path, not a secret")
        for name in ["sasl.password", "ssl.key.password", "ssl.keystore.password", "sasl.oauthbearer.client.secret",
                     "sasl.oauthbearer.config", "ssl.key.pem"] {
            #expect(Secrets.isSecretProperty(name), "\(name)")
        }
        for name in ["sasl.username", "ssl.ca.location", "ssl.key.location", "security.protocol", "linger.ms"] {
            #expect(!Secrets.isSecretProperty(name), "\(name)")
        }
    }

    @Test func redactionHidesEveryOccurrenceLongestFirstAndKeepsShortValues() {
        let secrets = Secrets(["abcd", "abcdefgh", "ok"])
        #expect(secrets.values == ["abcdefgh", "abcd"], "shorter than 4 characters: not hidden")
        #expect(secrets.redact("x abcdefgh y abcd z ok") == "x [redacted] y [redacted] z ok")
        #expect(Secrets().redact("nothing to hide") == "nothing to hide")
    }
}
