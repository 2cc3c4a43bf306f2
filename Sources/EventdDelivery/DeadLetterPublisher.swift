// Sends an event that cannot be handled to its dead-letter topic, unchanged,
// with headers that say where it came from and why it is there.
import EventdKafka
import Foundation

/// Why an event went to the dead-letter topic.
enum DeadLetterOutcome: String {
    case rejected                 // the handler said it can never succeed
    case retriesExhausted = "retries-exhausted"
    case malformed                // not a well-formed event: the daemon rejected it before any plugin
    case unknownEvent = "unknown-event"
    case oversized
    case handlerCrashed = "handler-crashed"  // the daemon died twice while the plugin held it
    case missingField = "missing-field"      // no event id, event type or occurrence time
    case duplicateID = "duplicate-id"        // an event id seen earlier in the same batch of the same partition
    case invalidHeader = "invalid-header"    // a header value that is not UTF-8
}

struct DeadLetter {
    var outcome: DeadLetterOutcome
    var error: String
    var plugin: String?
    var pluginVersion: String?
    var handler: String?
    var attempts: Int
    var firstFailure: Date
    var lastFailure: Date
    /// "topic/partition/offset" of the dead letter a failed replay came from.
    var replayedFrom: String? = nil
}

public final class DeadLetterPublisher: @unchecked Sendable {
    static let maxErrorBytes = 4096
    let producer: KafkaProducer
    let suffix: String

    public init(producer: KafkaProducer, suffix: String) {
        self.producer = producer
        self.suffix = suffix
    }

    func topic(for source: String) -> String { source + suffix }

    /// Queues `record` on its dead-letter topic, key, value and headers byte
    /// for byte, plus `x-dlq-*` headers. The delivery reports to `tracker`.
    func publish(_ record: some RecordFields, group: String, letter: DeadLetter, tracker: DeliveryTracker) throws(KafkaError) {
        // Audit headers of an earlier dead-lettering (a replay that failed again) are replaced, not repeated.
        var headers = record.headerList.filter { !$0.name.hasPrefix(DeadLetterHeader.prefix) }.map { OutgoingHeader($0.name, $0.value) }
        var error = Array(letter.error.utf8)
        if error.count > Self.maxErrorBytes {
            var end = Self.maxErrorBytes
            while end > 0 && (error[end] & 0xC0) == 0x80 { end -= 1 }
            error = Array(error[..<end])
        }
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        headers += [
            OutgoingHeader(.originalTopic, record.topic),
            OutgoingHeader(.originalPartition, String(record.partition)),
            OutgoingHeader(.originalOffset, String(record.offset)),
            OutgoingHeader(.originalTimestamp, String(record.timestampMs)),
            OutgoingHeader(.consumerGroup, group),
            OutgoingHeader(.outcome, letter.outcome.rawValue),
            OutgoingHeader(.error, error),
            OutgoingHeader(.attempts, String(letter.attempts)),
            OutgoingHeader(.firstFailure, iso.string(from: letter.firstFailure)),
            OutgoingHeader(.lastFailure, iso.string(from: letter.lastFailure)),
        ]
        if let plugin = letter.plugin { headers.append(OutgoingHeader(.plugin, plugin)) }
        if let version = letter.pluginVersion { headers.append(OutgoingHeader(.pluginVersion, version)) }
        if let handler = letter.handler { headers.append(OutgoingHeader(.handler, handler)) }
        if let replayedFrom = letter.replayedFrom { headers.append(OutgoingHeader(.replayedFrom, replayedFrom)) }
        try producer.produce(topic: topic(for: record.topic), key: record.keyBytes,
                             value: record.valueBytes, headers: headers, tracker: tracker)
    }
}
