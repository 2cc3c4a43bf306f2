// Records as owned values, and the fields every record source offers.

/// What dead-lettering and replaying need from a record, borrowed or owned.
public protocol RecordFields {
    var topic: String { get }
    var partition: Int32 { get }
    var offset: Int64 { get }
    var timestampMs: Int64 { get }
    var keyBytes: [UInt8]? { get }
    var valueBytes: [UInt8]? { get }
    var headerList: [(name: String, value: [UInt8]?)] { get }
}

extension KafkaRecord: RecordFields {
    public var keyBytes: [UInt8]? { key.map { Array($0) } }
    public var valueBytes: [UInt8]? { value.map { Array($0) } }
    public var headerList: [(name: String, value: [UInt8]?)] {
        var list: [(String, [UInt8]?)] = []
        forEachHeader { name, value in list.append((String(cString: name), value.map { Array($0) })) }
        return list
    }
}

/// A record copied out of librdkafka.
public struct CopiedRecord: RecordFields, Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var timestampMs: Int64
    public var keyBytes, valueBytes: [UInt8]?
    public var headers: [Header]

    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: [UInt8]?
    }

    public var headerList: [(name: String, value: [UInt8]?)] { headers.map { ($0.name, $0.value) } }

    public init(_ record: KafkaRecord) {
        topic = record.topic
        partition = record.partition
        offset = record.offset
        timestampMs = record.timestampMs
        keyBytes = record.keyBytes
        valueBytes = record.valueBytes
        headers = record.headerList.map { Header(name: $0.name, value: $0.value) }
    }

    /// The last header with this name, as text.
    public func header(_ name: String) -> String? {
        headers.last { $0.name == name }?.value.map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Reads a whole topic, from its first to its current last record.
public enum KafkaTopicReader {
    /// - Parameters:
    ///   - limit: at most this many records (the oldest first).
    /// - Throws: `KafkaError` when the topic cannot be read.
    public static func readAll(topic: String, properties: KafkaProperties, limit: Int = 10_000,
                               timeoutMs: Int32 = 10_000) throws(KafkaError) -> [CopiedRecord] {
        var props = properties
        props["group.id"] = "devtrip-eventd-topic-reader"
        props["enable.auto.commit"] = "false"
        let consumer = try KafkaConsumer(properties: props, events: nil)
        defer { consumer.close() }
        let count = try consumer.partitionCount(topic, timeoutMs: timeoutMs)
        var remaining: [TopicPartition: Int64] = [:]
        var start: [(TopicPartition, Int64)] = []
        for p in 0..<count {
            let tp = TopicPartition(topic, Int32(p))
            let (low, high) = try consumer.watermarks(tp, timeoutMs: timeoutMs)
            if high > low { remaining[tp] = high; start.append((tp, low)) }
        }
        guard !start.isEmpty else { return [] }
        try consumer.assign(start)
        var records: [CopiedRecord] = []
        let batch = consumer.makeBatch(capacity: 500)
        let deadline = ContinuousClock.now + .milliseconds(Int(timeoutMs))
        while !remaining.isEmpty && records.count < limit && ContinuousClock.now < deadline {
            consumer.consume(into: batch, timeoutMs: 200)
            for i in 0..<batch.count {
                let record = batch[i]
                guard record.errorCode == .noError else { continue }
                let tp = TopicPartition(record.topic, record.partition)
                guard let end = remaining[tp], record.offset < end else { continue }
                if records.count < limit { records.append(CopiedRecord(record)) }
                if record.offset + 1 >= end { remaining[tp] = nil }
            }
        }
        batch.release()
        return records.sorted { ($0.timestampMs, $0.partition, $0.offset) < ($1.timestampMs, $1.partition, $1.offset) }
    }
}
