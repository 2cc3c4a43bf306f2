// swift-log to the systemd journal, with metadata as structured fields, so
// `journalctl -u devtrip-eventd PLUGIN=foo CONSUMER_GROUP=bar` works.
import CSystemd
import EventdConfig
import Foundation
import Logging

public struct JournalLogHandler: LogHandler {
    public static let syslogIdentifier = "devtrip-eventd"

    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    public let label: String

    public init(label: String, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let callSite = event.metadata { merged.merge(callSite) { _, new in new } }

        var fields = [
            "MESSAGE=\(event.message)",
            "PRIORITY=\(Self.priority(event.level))",
            "SYSLOG_IDENTIFIER=\(Self.syslogIdentifier)",
            "CODE_FILE=\(event.file)",
            "CODE_LINE=\(event.line)",
            "CODE_FUNC=\(event.function)",
        ]
        if let error = event.error { fields.append("ERROR=\(error)") }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            fields.append("\(Self.journalFieldName(key))=\(value)")
        }
        Self.send(fields)
    }

    /// syslog(3) priority for a swift-log level.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// Fields this handler writes itself (plus journald's own) that metadata must not shadow.
    static let reservedFields: Set<String> = [
        "MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER", "SYSLOG_FACILITY", "SYSLOG_PID", "SYSLOG_TIMESTAMP",
        "CODE_FILE", "CODE_LINE", "CODE_FUNC", "ERRNO", "ERROR", "INVOCATION_ID", "USER_INVOCATION_ID",
    ]

    /// A metadata key as a journald field name: uppercase, anything outside
    /// [A-Z0-9_] becomes `_`; a name journald would reject (leading `_` or
    /// digit, empty) or one that would shadow a field this handler writes
    /// gets the `EVENTD_` prefix; at most 64 characters.
    static func journalFieldName(_ key: String) -> String {
        var name = String(String.UnicodeScalarView(key.uppercased().unicodeScalars.map { scalar in
            switch scalar {
            case "A"..."Z", "0"..."9", "_": scalar
            default: "_"
            }
        }))
        if name.isEmpty || name.first == "_" || ("0"..."9").contains(name.first!) || reservedFields.contains(name) {
            name = "EVENTD_" + name
        }
        return String(name.prefix(64))
    }

    private static func send(_ fields: [String]) {
        // One buffer, one iovec per field: length-delimited, so values may hold newlines.
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for field in fields {
            let start = bytes.count
            bytes.append(contentsOf: field.utf8)
            ranges.append(start..<bytes.count)
        }
        bytes.withUnsafeMutableBytes { raw in
            let iovecs = ranges.map { iovec(iov_base: raw.baseAddress! + $0.lowerBound, iov_len: $0.count) }
            _ = sd_journal_sendv(iovecs, Int32(iovecs.count))
        }
    }
}

/// Where the daemon's log output goes.
public enum LogDestination {
    /// systemd's rule (systemd.exec(5), JOURNAL_STREAM): stderr is connected
    /// to the journal iff JOURNAL_STREAM is "DEV:INODE" and equals fstat(2)'s
    /// st_dev:st_ino. A mismatch means stderr was redirected (shell, pipe).
    public static func journalStreamMatchesStderr(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let dev = UInt64(parts[0]), let ino = UInt64(parts[1]) else { return false }
        var st = stat()
        guard fstat(STDERR_FILENO, &st) == 0 else { return false }
        return UInt64(st.st_dev) == dev && UInt64(st.st_ino) == ino
    }

    /// Bootstraps swift-log once per process: the journal with structured
    /// fields when stderr is the journal stream, else plain stderr; either way
    /// with `secrets` replaced by `[redacted]`.
    public static func bootstrap(level: Logger.Level, secrets: Secrets = Secrets(),
                                 environment: [String: String] = ProcessInfo.processInfo.environment) {
        if journalStreamMatchesStderr(environment: environment) {
            LoggingSystem.bootstrap { label in
                var handler = JournalLogHandler(label: label)
                handler.logLevel = level
                return RedactingLogHandler(handler, secrets: secrets)
            }
        } else {
            // The stream handler's timestamps go through localtime_r and strftime: with TZ unset,
            // glibc stats /etc/localtime on every line (2 % of the daemon's CPU at 6,000 logged
            // events/s). Set, and unchanged, it is read once.
            if environment["TZ"] == nil { setenv("TZ", ":/etc/localtime", 0) }
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return RedactingLogHandler(handler, secrets: secrets)
            }
        }
    }
}
