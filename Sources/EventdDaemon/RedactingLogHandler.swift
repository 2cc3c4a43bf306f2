// Hides the configuration's secret values in every log line, whichever handler
// writes it: the daemon's own messages, librdkafka's (its `debug=conf` dump
// included) and plugins' alike.
import EventdConfig
import Logging

public struct RedactingLogHandler<Inner: LogHandler>: LogHandler {
    public var inner: Inner
    public let secrets: Secrets

    public init(_ inner: Inner, secrets: Secrets) {
        self.inner = inner
        self.secrets = secrets
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        guard !secrets.values.isEmpty else { return inner.log(event: event) }
        var clean = event
        clean.message = "\(secrets.redact(event.message.description))"
        clean.metadata = event.metadata.map(redact)
        if let error = event.error { clean.error = RedactedError(description: secrets.redact("\(error)")) }
        var handler = inner
        // Handler-level metadata (set once on a logger) may carry values too.
        handler.metadata = redact(inner.metadata)
        handler.log(event: clean)
    }

    func redact(_ metadata: Logger.Metadata) -> Logger.Metadata {
        metadata.mapValues { .string(secrets.redact($0.description)) }
    }
}

/// An error whose text had secrets in it, as text without them.
struct RedactedError: Error, CustomStringConvertible {
    let description: String
}
