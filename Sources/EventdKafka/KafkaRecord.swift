// A borrowed view of one consumed record; valid until its batch is released.
import CRDKafka
import Glibc

public struct KafkaRecord {
    let message: UnsafeMutablePointer<rd_kafka_message_t>

    /// Not `.noError` when this "record" is a consumer error, not data.
    public var errorCode: KafkaError.Code { KafkaError.Code(message.pointee.err) }
    public var errorDescription: String {
        let text = rd_kafka_message_errstr(message).map { String(cString: $0) } ?? ""
        return "\(errorCode.text): \(text)"
    }
    public var isPartitionEOF: Bool { message.pointee.err == RD_KAFKA_RESP_ERR__PARTITION_EOF }

    /// The topic name; the pointer lives as long as the consumer.
    public var topicName: UnsafePointer<CChar> { rd_kafka_topic_name(message.pointee.rkt) }
    public var topic: String { String(cString: topicName) }
    public var topicBytes: UnsafeRawBufferPointer {
        let name = topicName
        return UnsafeRawBufferPointer(start: name, count: strlen(name))
    }
    public var partition: Int32 { message.pointee.partition }
    public var offset: Int64 { message.pointee.offset }
    public var timestampMs: Int64 { rd_kafka_message_timestamp(message, nil) }

    public var key: UnsafeRawBufferPointer? {
        guard let key = message.pointee.key else { return nil }
        return UnsafeRawBufferPointer(start: key, count: message.pointee.key_len)
    }

    public var value: UnsafeRawBufferPointer? {
        guard let payload = message.pointee.payload else { return nil }
        return UnsafeRawBufferPointer(start: payload, count: message.pointee.len)
    }

    public var valueLength: Int { message.pointee.len }

    /// Calls `body` for every header in order: name, value (nil for a null header).
    public func forEachHeader(_ body: (UnsafePointer<CChar>, UnsafeRawBufferPointer?) -> Void) {
        var headers: OpaquePointer?
        guard rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR, let headers else { return }
        var index = 0
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while rd_kafka_header_get_all(headers, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            body(name!, value.map { UnsafeRawBufferPointer(start: $0, count: size) })
            index += 1
        }
    }

    /// The last header with this name, or nil.
    public func header(_ name: String) -> UnsafeRawBufferPointer?? {
        var headers: OpaquePointer?
        guard rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR, let headers else { return nil }
        var value: UnsafeRawPointer?
        var size = 0
        guard rd_kafka_header_get_last(headers, name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return .some(value.map { UnsafeRawBufferPointer(start: $0, count: size) })
    }

    public var headerCount: Int {
        var headers: OpaquePointer?
        guard rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR, let headers else { return 0 }
        return rd_kafka_header_cnt(headers)
    }
}

/// A batch of consumed records; owns the librdkafka messages.
public final class KafkaRecordBatch {
    var messages: UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>
    public let capacity: Int
    public internal(set) var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        messages = .allocate(capacity: capacity)
    }

    public subscript(_ index: Int) -> KafkaRecord { KafkaRecord(message: messages[index]!) }

    /// Destroys the messages of the last consume.
    public func release() {
        for i in 0..<count { rd_kafka_message_destroy(messages[i]) }
        count = 0
    }

    deinit {
        release()
        messages.deallocate()
    }
}
