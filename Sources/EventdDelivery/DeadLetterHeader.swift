// The audit headers a dead letter carries: written by DeadLetterPublisher, read by
// the dead-letter admin commands (dlq-list, dlq-replay).
import EventdKafka

public enum DeadLetterHeader: String, CaseIterable, Sendable {
    case originalTopic = "x-dlq-original-topic"
    case originalPartition = "x-dlq-original-partition"
    case originalOffset = "x-dlq-original-offset"
    case originalTimestamp = "x-dlq-original-timestamp"
    case consumerGroup = "x-dlq-consumer-group"
    case outcome = "x-dlq-outcome"
    case error = "x-dlq-error"
    case attempts = "x-dlq-attempts"
    case firstFailure = "x-dlq-first-failure"
    case lastFailure = "x-dlq-last-failure"
    case plugin = "x-dlq-plugin"
    case pluginVersion = "x-dlq-plugin-version"
    case handler = "x-dlq-handler"
    /// "topic/partition/offset" of the dead letter a failed replay came from.
    case replayedFrom = "x-dlq-replayed-from"

    /// Every audit header name starts with this.
    public static let prefix = "x-dlq-"
}

extension OutgoingHeader {
    public init(_ header: DeadLetterHeader, _ value: String) { self.init(header.rawValue, value) }
    public init(_ header: DeadLetterHeader, _ value: [UInt8]) { self.init(header.rawValue, value) }
}

extension CopiedRecord {
    /// The last audit header of this kind, as text.
    public func header(_ header: DeadLetterHeader) -> String? { self.header(header.rawValue) }
}
