// Secrets in librdkafka properties: `${credential:NAME}` and `${file:/path}`
// references resolved at load, and the values that must never be printed.
import Foundation

/// The secret values of a configuration, and how to hide them in text.
///
/// A value is secret when it came from a credential or a file reference, or
/// when its property's name says it is one (`sasl.password`, `ssl.key.pem`,
/// `sasl.oauthbearer.client.secret`, ...). Values shorter than
/// `minimumLength` are not hidden: replacing "1" or "ok" everywhere would make
/// every log line unreadable, and such a value protects nothing.
public struct Secrets: Sendable, Equatable {
    public static let minimumLength = 4
    public static let mask = "[redacted]"
    /// Longest first, so a secret containing another is hidden whole.
    public private(set) var values: [String] = []

    public init(_ values: some Sequence<String> = [String]()) {
        for value in values { insert(value) }
    }

    public mutating func insert(_ value: String) {
        guard value.count >= Self.minimumLength, !values.contains(value) else { return }
        values.append(value)
        values.sort { $0.count > $1.count }
    }

    /// Whether a property of this name holds a secret whatever its value's origin.
    public static func isSecretProperty(_ name: String) -> Bool {
        let lower = name.lowercased()
        // `ssl.key.location` names a file, not its contents.
        return ["password", "secret", "token", "sasl.oauthbearer.config", "sasl.jaas.config"].contains { lower.contains($0) }
            || (lower.split(separator: ".").contains("key") && !lower.hasSuffix(".location"))
    }

    /// `text` with every secret value replaced by `[redacted]`.
    public func redact(_ text: String) -> String {
        guard !values.isEmpty else { return text }
        var out = text
        for value in values where out.contains(value) {
            out = out.replacingOccurrences(of: value, with: Self.mask)
        }
        return out
    }
}

/// Resolves `${credential:NAME}` (a file in `$CREDENTIALS_DIRECTORY`, which
/// systemd fills from `LoadCredential=` / `LoadCredentialEncrypted=`) and
/// `${file:/path}` inside property values. One trailing newline is trimmed.
public struct CredentialResolver: Sendable {
    public let credentialsDirectory: String?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        credentialsDirectory = environment["CREDENTIALS_DIRECTORY"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A reference that cannot be read; says which, never what it holds.
    public struct Failure: Error, Sendable, Equatable {
        public let reason: String
    }

    /// `value` with its references replaced, and the contents they brought in.
    public func resolve(_ value: String) throws(Failure) -> (value: String, secrets: [String]) {
        guard value.contains("${") else { return (value, []) }
        var out = ""
        var secrets: [String] = []
        var rest = Substring(value)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw Failure(reason: "unterminated reference '${' (expected ${credential:NAME} or ${file:/path})")
            }
            let reference = rest[start.upperBound..<end]
            let content = try read(reference)
            secrets.append(content)
            out += content
            rest = rest[rest.index(after: end)...]
        }
        out += rest
        return (out, secrets)
    }

    private func read(_ reference: Substring) throws(Failure) -> String {
        let path: String
        let what: String
        if reference.hasPrefix("credential:") {
            let name = String(reference.dropFirst("credential:".count))
            guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
                throw Failure(reason: "credential name '\(name)' is not a plain file name")
            }
            guard let dir = credentialsDirectory else {
                throw Failure(reason: "credential '\(name)' is not available: $CREDENTIALS_DIRECTORY is not set "
                    + "(systemd sets it for LoadCredential=\(name):... in the unit; outside systemd use ${file:/path})")
            }
            path = "\(dir)/\(name)"
            what = "credential '\(name)'"
        } else if reference.hasPrefix("file:") {
            path = String(reference.dropFirst("file:".count))
            guard path.hasPrefix("/") else { throw Failure(reason: "file reference '\(path)' must be an absolute path") }
            what = "secret file '\(path)'"
        } else {
            throw Failure(reason: "unknown reference '${\(reference.prefix(32))}' (expected ${credential:NAME} or ${file:/path})")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = access(path, F_OK) == 0 ? "cannot be read by uid \(getuid())" : "does not exist (\(path))"
            throw Failure(reason: "\(what) \(reason)")
        }
        guard var text = String(data: data, encoding: .utf8) else { throw Failure(reason: "\(what) is not UTF-8 text") }
        // "\r\n" is one Character in Swift: one removeLast() drops either ending.
        if text.hasSuffix("\n") || text.hasSuffix("\r\n") { text.removeLast() }
        guard !text.isEmpty else { throw Failure(reason: "\(what) is empty") }
        return text
    }
}
