// librdkafka's topic-partition list, owned: freed when the last reference goes.
import CRDKafka

/// An `rd_kafka_topic_partition_list_t` this side owns. Hand it to librdkafka
/// through `withPointer`, which keeps the list alive for the call.
final class RDKafkaPartitionList {
    private let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(capacity: Int) {
        pointer = rd_kafka_topic_partition_list_new(Int32(capacity))!
    }

    /// Takes ownership of a list librdkafka handed out (`rd_kafka_assignment`).
    init(taking pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        self.pointer = pointer
    }

    /// Partitions at offsets (`store`, `seek`, `assign`).
    convenience init(_ offsets: [(TopicPartition, Int64)]) {
        self.init(capacity: offsets.count)
        for (tp, offset) in offsets { add(tp, offset: offset) }
    }

    /// Partitions with no offset (librdkafka's `RD_KAFKA_OFFSET_INVALID`).
    convenience init(_ partitions: [TopicPartition]) {
        self.init(capacity: partitions.count)
        for tp in partitions { add(tp) }
    }

    /// Whole topics, for a subscription.
    convenience init(topics: [String]) {
        self.init(capacity: topics.count)
        for topic in topics { rd_kafka_topic_partition_list_add(pointer, topic, RD_KAFKA_PARTITION_UA) }
    }

    deinit { rd_kafka_topic_partition_list_destroy(pointer) }

    func add(_ tp: TopicPartition, offset: Int64? = nil) {
        let element = rd_kafka_topic_partition_list_add(pointer, tp.topic, tp.partition)!
        if let offset { element.pointee.offset = offset }
    }

    /// Calls `body` with the list, alive until it returns.
    func withPointer<R, E: Error>(_ body: (UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) throws(E) -> R) throws(E) -> R {
        try body(pointer)
    }

    var count: Int { Int(pointer.pointee.cnt) }
    var partitions: [TopicPartition] { Self.partitions(of: pointer) }
    /// Each partition with its offset (`RD_KAFKA_OFFSET_INVALID`, -1001, where none is set).
    var offsets: [(TopicPartition, Int64)] { Self.elements(of: pointer).map { (Self.partition($0), $0.offset) } }
    /// The first error librdkafka set on an element (`seek`, `committed` report per partition).
    var firstError: (TopicPartition, rd_kafka_resp_err_t)? {
        Self.elements(of: pointer).first { $0.err != RD_KAFKA_RESP_ERR_NO_ERROR }.map { (Self.partition($0), $0.err) }
    }

    /// The elements of a list, owned or lent by librdkafka (a rebalance callback's).
    static func elements(of list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> UnsafeBufferPointer<rd_kafka_topic_partition_t> {
        UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt))
    }

    static func partitions(of list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> [TopicPartition] {
        elements(of: list).map(partition)
    }

    static func partition(_ element: rd_kafka_topic_partition_t) -> TopicPartition {
        TopicPartition(String(cString: element.topic), element.partition)
    }
}
