// One librdkafka consumer: one consumer group, batch consume, stored offsets.
import CRDKafka

/// A topic partition and, where it matters, an offset.
public struct TopicPartition: Hashable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }
    public var description: String { "\(topic)[\(partition)]" }
}

/// Receives what librdkafka reports from its own threads or during polls.
public protocol KafkaClientEvents: AnyObject, Sendable {
    /// librdkafka's log line (syslog levels: 0 emergency ... 7 debug).
    func kafkaLog(level: Int32, facility: String, message: String)
    /// A client-level error (broker down, all brokers down, fatal).
    func kafkaError(_ error: KafkaError)
    /// Partitions assigned to this member; called on the polling thread.
    func kafkaAssigned(_ partitions: [TopicPartition])
    /// Partitions about to be revoked; stored offsets are already committed.
    func kafkaRevoked(_ partitions: [TopicPartition])
    /// The producer replaced a client that had a fatal error with a new one.
    func kafkaProducerReplaced()
}

extension KafkaClientEvents {
    public func kafkaAssigned(_ partitions: [TopicPartition]) {}
    public func kafkaRevoked(_ partitions: [TopicPartition]) {}
    public func kafkaProducerReplaced() {}
}

/// A consumer in one group. Only `consume`, `store`, `seek`, `commit` and
/// `close` are called, all from the one thread that polls it.
public final class KafkaConsumer: @unchecked Sendable {
    let handle: OpaquePointer
    let queue: OpaquePointer
    public let groupID: String
    private let box: RDKafkaEventsBox

    /// Where callbacks go; held weakly.
    public var events: (any KafkaClientEvents)? {
        get { box.events }
        set { box.events = newValue }
    }

    /// - Parameters:
    ///   - properties: librdkafka properties; `group.id` and `bootstrap.servers` must be set.
    ///     Offsets are stored only by `store`, never automatically.
    /// - Throws: `KafkaError` when librdkafka refuses the configuration.
    public init(properties: KafkaProperties, events: (any KafkaClientEvents)?) throws(KafkaError) {
        var props = properties
        guard let group = props["group.id"] else { throw KafkaError(invalid: "consumer without group.id") }
        groupID = group
        props["enable.auto.offset.store"] = "false"
        if props["enable.auto.commit"] == nil { props["enable.auto.commit"] = "true" }
        let conf = try props.makeConf()
        var errstr = [CChar](repeating: 0, count: 512)
        rd_kafka_conf_set_rebalance_cb(conf, consumerRebalance)
        rd_kafka_conf_set_error_cb(conf, clientError)
        rd_kafka_conf_set_log_cb(conf, clientLog)
        box = RDKafkaEventsBox()
        box.events = events
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(box).toOpaque())
        guard let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errstr, errstr.count) else {
            throw KafkaError(invalid: "cannot create consumer: \(RDKafkaText.read(errstr))")
        }
        handle = rk
        rd_kafka_poll_set_consumer(rk)
        queue = rd_kafka_queue_get_consumer(rk)
    }

    /// Makes a `consume` blocked in another thread return at once.
    public func wake() { rd_kafka_queue_yield(queue) }

    /// Assigns partitions directly (no group membership), starting at the given offsets.
    public func assign(_ offsets: [(TopicPartition, Int64)]) throws(KafkaError) {
        let err = RDKafkaPartitionList(offsets).withPointer { rd_kafka_assign(handle, $0) }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "assign") }
    }

    /// The number of partitions of `topic`, from the broker's metadata.
    public func partitionCount(_ topic: String, timeoutMs: Int32 = 5000) throws(KafkaError) -> Int {
        let rkt = rd_kafka_topic_new(handle, topic, nil)
        defer { rd_kafka_topic_destroy(rkt) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(handle, 0, rkt, &metadata, timeoutMs)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError(err, context: "metadata \(topic)") }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt == 1 else { return 0 }
        let topicMeta = metadata.pointee.topics[0]
        if topicMeta.err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(topicMeta.err, context: "topic \(topic)") }
        return Int(topicMeta.partition_cnt)
    }

    /// The low and high watermarks (first offset, next offset) of a partition.
    public func watermarks(_ tp: TopicPartition, timeoutMs: Int32 = 5000) throws(KafkaError) -> (low: Int64, high: Int64) {
        var low: Int64 = 0, high: Int64 = 0
        let err = rd_kafka_query_watermark_offsets(handle, tp.topic, tp.partition, &low, &high, timeoutMs)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "watermarks \(tp)") }
        return (low, high)
    }

    /// Subscribes to `topics` (replacing any earlier subscription).
    public func subscribe(_ topics: [String]) throws(KafkaError) {
        let err = RDKafkaPartitionList(topics: topics).withPointer { rd_kafka_subscribe(handle, $0) }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "subscribe") }
    }

    /// Waits up to `timeoutMs` for records and fills `batch` (releasing what it held).
    /// Rebalance callbacks run inside this call, on the calling thread.
    public func consume(into batch: KafkaRecordBatch, timeoutMs: Int32) {
        batch.release()
        let n = rd_kafka_consume_batch_queue(queue, Int32(timeoutMs), batch.messages, batch.capacity)
        batch.count = max(n, 0)
    }

    public func makeBatch(capacity: Int) -> KafkaRecordBatch { KafkaRecordBatch(capacity: capacity) }

    /// Stores the next offset to commit for each partition (the auto-commit commits it).
    public func store(_ offsets: [(TopicPartition, Int64)]) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let err = RDKafkaPartitionList(offsets).withPointer { rd_kafka_offsets_store(handle, $0) }
        // A partition revoked meanwhile refuses its store; that is expected.
        if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__STATE {
            throw KafkaError(err, context: "offsets_store")
        }
    }

    /// Rewinds a partition so its records from `offset` on are fetched again.
    public func seek(_ tp: TopicPartition, to offset: Int64) throws(KafkaError) {
        let list = RDKafkaPartitionList([(tp, offset)])
        if let error = list.withPointer({ rd_kafka_seek_partitions(handle, $0, 5000) }) {
            throw KafkaError(taking: error, context: "seek \(tp)")
        }
        if let (_, err) = list.firstError { throw KafkaError(err, context: "seek \(tp)") }
    }

    /// Commits the stored offsets and waits for the broker's answer.
    public func commitSync() throws(KafkaError) {
        let err = rd_kafka_commit(handle, nil, 0)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET {
            throw KafkaError(err, context: "commit")
        }
    }

    /// Pauses or resumes fetching for partitions.
    public func setPaused(_ paused: Bool, _ partitions: [TopicPartition]) {
        _ = RDKafkaPartitionList(partitions).withPointer { paused ? rd_kafka_pause_partitions(handle, $0) : rd_kafka_resume_partitions(handle, $0) }
    }

    /// The offsets this group has committed for `partitions` (-1001 where none).
    public func committed(_ partitions: [TopicPartition], timeoutMs: Int32 = 5000) throws(KafkaError) -> [TopicPartition: Int64] {
        let list = RDKafkaPartitionList(partitions)
        let err = list.withPointer { rd_kafka_committed(handle, $0, timeoutMs) }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "committed") }
        return Dictionary(list.offsets, uniquingKeysWith: { _, last in last })
    }

    /// Records between this member's position and the end of each assigned
    /// partition, from librdkafka's cached watermarks. A partition this member
    /// has not consumed from since it was assigned has no position yet: its
    /// committed offset stands in (one broker round trip for those, at most
    /// `timeoutMs`), else the low watermark.
    public func lag(timeoutMs: Int32 = 1000) -> [(TopicPartition, Int64)] {
        guard let list = currentAssignment() else { return [] }
        _ = list.withPointer { rd_kafka_position(handle, $0) }
        let positions = list.offsets
        var committed: [TopicPartition: Int64] = [:]
        let unpositioned = positions.filter { $0.1 < 0 }.map(\.0)
        if !unpositioned.isEmpty { committed = (try? self.committed(unpositioned, timeoutMs: timeoutMs)) ?? [:] }
        var result: [(TopicPartition, Int64)] = []
        for (tp, offset) in positions {
            var low: Int64 = -1, high: Int64 = -1
            guard rd_kafka_get_watermark_offsets(handle, tp.topic, tp.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR,
                  high >= 0 else { continue }
            let position = offset >= 0 ? offset : committed[tp].flatMap { $0 >= 0 ? $0 : nil } ?? low
            result.append((tp, max(0, high - max(position, 0))))
        }
        return result
    }

    /// The partitions currently assigned to this member.
    public func assignment() -> [TopicPartition] {
        currentAssignment()?.partitions ?? []
    }

    private func currentAssignment() -> RDKafkaPartitionList? {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return nil }
        return RDKafkaPartitionList(taking: list)
    }

    /// Commits stored offsets, leaves the group, and stops the client.
    public func close() {
        _ = rd_kafka_commit(handle, nil, 0)
        rd_kafka_consumer_close(handle)
    }

    deinit {
        rd_kafka_queue_destroy(queue)
        rd_kafka_destroy(handle)
    }
}

/// Holds the events sink weakly for C callbacks.
final class RDKafkaEventsBox: @unchecked Sendable {
    weak var events: (any KafkaClientEvents)?
    /// Told of a fatal error with the handle that raised it (the producer replaces that client).
    var fatal: ((OpaquePointer) -> Void)?
}

private func consumerRebalance(_ rk: OpaquePointer?, _ err: rd_kafka_resp_err_t,
                               _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
                               _ opaque: UnsafeMutableRawPointer?) {
    let events = opaque.map { Unmanaged<RDKafkaEventsBox>.fromOpaque($0).takeUnretainedValue().events } ?? nil
    let tps = list.map(RDKafkaPartitionList.partitions(of:)) ?? []
    let cooperative = rd_kafka_rebalance_protocol(rk).map { String(cString: $0) == "COOPERATIVE" } ?? false
    switch err {
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
        if cooperative {
            if let error = rd_kafka_incremental_assign(rk, list) { rd_kafka_error_destroy(error) }
        } else {
            rd_kafka_assign(rk, list)
        }
        events?.kafkaAssigned(tps)
    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
        // Everything handled so far has its offset stored (dispatch is
        // synchronous with polling): commit it before another member takes over.
        _ = rd_kafka_commit(rk, nil, 0)
        events?.kafkaRevoked(tps)
        if cooperative {
            if let error = rd_kafka_incremental_unassign(rk, list) { rd_kafka_error_destroy(error) }
        } else {
            rd_kafka_assign(rk, nil)
        }
    default:
        rd_kafka_assign(rk, nil)
    }
}

func clientError(_ rk: OpaquePointer?, _ err: Int32, _ reason: UnsafePointer<CChar>?, _ opaque: UnsafeMutableRawPointer?) {
    guard let opaque else { return }
    let box = Unmanaged<RDKafkaEventsBox>.fromOpaque(opaque).takeUnretainedValue()
    let code = rd_kafka_resp_err_t(rawValue: err)
    box.events?.kafkaError(KafkaError(code, context: reason.map { String(cString: $0) } ?? "client error", client: rk))
    if code == RD_KAFKA_RESP_ERR__FATAL, let rk { box.fatal?(rk) }
}

func clientLog(_ rk: OpaquePointer?, _ level: Int32, _ facility: UnsafePointer<CChar>?, _ message: UnsafePointer<CChar>?) {
    guard let rk, let opaque = rd_kafka_opaque(rk),
          let events = Unmanaged<RDKafkaEventsBox>.fromOpaque(opaque).takeUnretainedValue().events else { return }
    events.kafkaLog(level: level, facility: facility.map { String(cString: $0) } ?? "",
                    message: message.map { String(cString: $0) } ?? "")
}
