// Parks an event on a delay tier topic: the original key, value and headers,
// plus `x-retry-*` headers that say for whom, when, and how far it got.
import EventdConfig
import EventdKafka
import Foundation

/// What a tier record carries besides the original event.
struct ParkedEvent {
    /// The consumer group and the plugin whose handler parked it.
    var group, plugin: String
    /// The canonical event name of that handler, and the event's id.
    var handler, eventID: String
    /// Index of the tier the record sits on, in the handler's policy.
    var tier: Int
    /// `behind`: parked behind an earlier event of its key, not because it failed (it gets full in-memory
    /// attempts when released); `ordered`: a row in the plugin's `parked` table stands for this event.
    var behind, ordered: Bool
    /// Attempts made so far, over every delivery.
    var attempts: Int
    var firstFailure: Date?
    var lastError: String
    /// When the record may be handed over, in Unix milliseconds.
    var dueMs: Int64

    static let prefix = "x-retry-"

    /// The original event of a tier record: its source coordinates and headers without `x-retry-*`.
    static func original(of record: CopiedRecord) -> CopiedRecord {
        var original = record
        original.topic = record.header(prefix + "original-topic") ?? record.topic
        original.partition = record.header(prefix + "original-partition").flatMap { Int32($0) } ?? record.partition
        original.offset = record.header(prefix + "original-offset").flatMap { Int64($0) } ?? record.offset
        original.timestampMs = record.header(prefix + "original-timestamp").flatMap { Int64($0) } ?? record.timestampMs
        original.headers = record.headers.filter { !$0.name.hasPrefix(prefix) }
        return original
    }
}

extension ParkedEvent {
    /// Reads the headers of a tier record; nil when it is not one (or not readable).
    init?(_ record: CopiedRecord) {
        func header(_ name: String) -> String? { record.header(Self.prefix + name) }
        guard let group = header("group"), let plugin = header("plugin"), let handler = header("handler"),
              let tier = header("tier").flatMap({ Int($0) }), let due = header("due").flatMap({ Int64($0) }),
              let attempts = header("attempts").flatMap({ Int($0) }) else { return nil }
        self.group = group
        self.plugin = plugin
        self.handler = handler
        self.tier = tier
        dueMs = due
        self.attempts = attempts
        eventID = header("event-id") ?? ""
        behind = header("behind") == "1"
        ordered = header("ordered") == "1"
        lastError = header("error") ?? ""
        firstFailure = header("first-failure").flatMap { Double($0) }.map { Date(timeIntervalSince1970: $0 / 1000) }
    }
}

final class RetryTierPublisher: @unchecked Sendable {
    let producer: KafkaProducer

    init(producer: KafkaProducer) { self.producer = producer }

    /// Queues `record` (the original event) on `tier`'s topic; the delivery reports to `tracker`.
    func park(_ record: some RecordFields, _ parked: ParkedEvent, tier: RetryTier, tracker: DeliveryTracker) throws(KafkaError) {
        var headers = record.headerList.filter { !$0.name.hasPrefix(ParkedEvent.prefix) }.map { OutgoingHeader($0.name, $0.value) }
        func add(_ name: String, _ value: String) { headers.append(OutgoingHeader(ParkedEvent.prefix + name, value)) }
        add("group", parked.group)
        add("plugin", parked.plugin)
        add("handler", parked.handler)
        add("event-id", parked.eventID)
        add("tier", String(parked.tier))
        add("due", String(parked.dueMs))
        add("attempts", String(parked.attempts))
        if parked.behind { add("behind", "1") }
        if parked.ordered { add("ordered", "1") }
        if let first = parked.firstFailure { add("first-failure", String(Int64(first.timeIntervalSince1970 * 1000))) }
        add("error", String(decoding: Array(parked.lastError.utf8.prefix(DeadLetterPublisher.maxErrorBytes)), as: UTF8.self))
        add("original-topic", record.topic)
        add("original-partition", String(record.partition))
        add("original-offset", String(record.offset))
        add("original-timestamp", String(record.timestampMs))
        try producer.produce(topic: tier.topic(for: record.topic), key: record.keyBytes, value: record.valueBytes,
                             headers: headers, tracker: tracker)
    }
}
