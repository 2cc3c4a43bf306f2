// Per-thread buffers for building `dte_event`s without allocating per event.
import CEventdPlugin
import EventdKafka
import Foundation

struct EventScratch {
    static let errorCapacity = 4096
    let error = UnsafeMutablePointer<CChar>.allocate(capacity: errorCapacity)
    private var id = UnsafeMutablePointer<CChar>.allocate(capacity: 256)
    private var idCapacity = 256
    private var headers = UnsafeMutablePointer<dte_header>.allocate(capacity: 16)
    private var headerCapacity = 16

    init() {
        id[0] = 0
        error[0] = 0
    }

    mutating func setID(_ bytes: UnsafeRawBufferPointer?) {
        guard let bytes else { id[0] = 0; return }
        reserveID(bytes.count + 1)
        if bytes.count > 0 { UnsafeMutableRawPointer(id).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        id[bytes.count] = 0
    }

    /// The bytes of the id set last (empty when the event has none).
    var idBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: id, count: strlen(id)) }

    mutating func setID(_ string: String) {
        var copy = string
        copy.withUTF8 { setID(UnsafeRawBufferPointer($0)) }
    }

    private mutating func reserveID(_ count: Int) {
        guard count > idCapacity else { return }
        id.deallocate()
        idCapacity = count
        id = .allocate(capacity: count)
    }

    /// Builds the C event for `record` and calls `body` with it.
    mutating func withEvent(_ record: KafkaRecord, name: UnsafePointer<CChar>, group: UnsafePointer<CChar>,
                            _ body: (UnsafePointer<dte_event>) -> Void) {
        let count = record.headerCount
        if count > headerCapacity {
            headers.deallocate()
            headerCapacity = count
            headers = .allocate(capacity: count)
        }
        var n = 0
        let list = headers
        record.forEachHeader { name, value in
            list[n] = dte_header(name: name, value: value?.baseAddress ?? (value == nil ? nil : UnsafeRawPointer(bitPattern: 1)),
                                 value_len: value?.count ?? 0)
            n += 1
        }
        let key = record.key
        let value = record.value
        var event = dte_event(
            struct_size: UInt32(MemoryLayout<dte_event>.size),
            topic: record.topicName, partition: record.partition, offset: record.offset,
            timestamp_ms: record.timestampMs,
            key: key?.baseAddress, key_len: key?.count ?? 0,
            value: value?.baseAddress, value_len: value?.count ?? 0,
            headers: UnsafePointer(list), header_count: n,
            event_name: name, event_id: UnsafePointer(id), consumer_group: group)
        withUnsafePointer(to: &event) { body($0) }
    }

    func free() {
        error.deallocate()
        id.deallocate()
        headers.deallocate()
    }
}

/// Writes `message` into a handler error buffer (truncated, NUL-terminated).
func writeError(_ message: String, _ buffer: UnsafeMutablePointer<CChar>) {
    let bytes = Array(message.utf8.prefix(EventScratch.errorCapacity - 1))
    bytes.withUnsafeBufferPointer { src in
        buffer.withMemoryRebound(to: UInt8.self, capacity: EventScratch.errorCapacity) { dst in
            dst.update(from: src.baseAddress!, count: src.count)
            dst[src.count] = 0
        }
    }
}
