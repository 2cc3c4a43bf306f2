// Per-thread buffers for building `dte_event`s without allocating per event.
import CEventdPlugin
import EventdKafka
import EventdRouting
import Foundation

struct EventScratch {
    static let errorCapacity = 4096
    let error = UnsafeMutablePointer<CChar>.allocate(capacity: errorCapacity)
    private var id = UnsafeMutablePointer<CChar>.allocate(capacity: 256)
    private var idCapacity = 256
    private var headers = UnsafeMutablePointer<dte_header>.allocate(capacity: 16)
    private var headerCapacity = 16
    /// Copies of an owned record's bytes, which its C event points into.
    private var arena = UnsafeMutableRawPointer.allocate(byteCount: 1024, alignment: 1)
    private var arenaCapacity = 1024

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

    private mutating func reserveHeaders(_ count: Int) {
        guard count > headerCapacity else { return }
        headers.deallocate()
        headerCapacity = count
        headers = .allocate(capacity: count)
    }

    private mutating func reserveArena(_ count: Int) {
        guard count > arenaCapacity else { return }
        arena.deallocate()
        arenaCapacity = count
        arena = .allocate(byteCount: count, alignment: 1)
    }

    /// The one place a `dte_event` is put together; the id is the one set last.
    private func event(_ record: some RecordFields, topic: UnsafePointer<CChar>, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
                       headerCount: Int, name: UnsafePointer<CChar>, group: UnsafePointer<CChar>) -> dte_event {
        dte_event(
            struct_size: UInt32(MemoryLayout<dte_event>.size),
            topic: topic, partition: record.partition, offset: record.offset,
            timestamp_ms: record.timestampMs,
            key: key?.baseAddress, key_len: key?.count ?? 0,
            value: value?.baseAddress, value_len: value?.count ?? 0,
            headers: UnsafePointer(headers), header_count: headerCount,
            event_name: name, event_id: UnsafePointer(id), consumer_group: group,
            attempt: 1, attempts_left: 0)
    }

    /// Builds the C event for `record` and calls `body` with it.
    mutating func withEvent<R>(_ record: KafkaRecord, name: UnsafePointer<CChar>, group: UnsafePointer<CChar>,
                               _ body: (UnsafePointer<dte_event>) -> R) -> R {
        reserveHeaders(record.headerCount)
        var n = 0
        let list = headers
        record.forEachHeader { name, value in
            list[n] = dte_header(name: name, value: value?.baseAddress ?? (value == nil ? nil : UnsafeRawPointer(bitPattern: 1)),
                                 value_len: value?.count ?? 0)
            n += 1
        }
        var event = event(record, topic: record.topicName, key: record.key, value: record.value, headerCount: n, name: name, group: group)
        return withUnsafePointer(to: &event) { body($0) }
    }

    /// Builds the C event for an owned record, its bytes copied into the scratch, and calls `body` with it.
    mutating func withEvent<R>(_ record: CopiedRecord, name: UnsafePointer<CChar>, group: UnsafePointer<CChar>,
                               _ body: (UnsafePointer<dte_event>) -> R) -> R {
        reserveHeaders(record.headers.count)
        reserveArena(record.headers.reduce(record.topic.utf8.count + 1) { $0 + $1.name.utf8.count + 1 + ($1.value?.count ?? 0) }
                     + (record.keyBytes?.count ?? 0) + (record.valueBytes?.count ?? 0))
        var cursor = arena
        func copy(_ bytes: some Collection<UInt8>, terminated: Bool = false) -> UnsafeRawBufferPointer {
            let start = cursor
            UnsafeMutableRawBufferPointer(start: cursor, count: bytes.count).copyBytes(from: bytes)
            cursor += bytes.count
            if terminated { cursor.storeBytes(of: 0, as: UInt8.self); cursor += 1 }
            return UnsafeRawBufferPointer(start: start, count: bytes.count)
        }
        for (n, header) in record.headers.enumerated() {
            let name = copy(header.name.utf8, terminated: true)
            let value = header.value.map { copy($0) }
            headers[n] = dte_header(name: name.baseAddress!.assumingMemoryBound(to: CChar.self), value: value?.baseAddress,
                                    value_len: value?.count ?? 0)
        }
        let topic = copy(record.topic.utf8, terminated: true).baseAddress!.assumingMemoryBound(to: CChar.self)
        let key = record.keyBytes.map { copy($0) }
        let value = record.valueBytes.map { copy($0) }
        var event = event(record, topic: topic, key: key, value: value, headerCount: record.headers.count, name: name, group: group)
        return withUnsafePointer(to: &event) { body($0) }
    }

    /// Builds the C event for an owned record (a replayed dead letter, an event back from a retry tier)
    /// in a scratch of its own, and calls `body` with it and a cleared error buffer.
    static func with<R>(_ record: CopiedRecord, event: EventName, group: UnsafePointer<CChar>, id: String,
                        _ body: (UnsafePointer<dte_event>, UnsafeMutablePointer<CChar>) -> R) -> R {
        var scratch = EventScratch()
        defer { scratch.free() }
        scratch.setID(id)
        let error = scratch.error
        return scratch.withEvent(record, name: event.cName, group: group) { body($0, error) }
    }

    func free() {
        error.deallocate()
        id.deallocate()
        headers.deallocate()
        arena.deallocate()
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
