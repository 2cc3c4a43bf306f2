// A C event built from an owned record: a tier record handed back, or a dead letter replayed.
import CEventdPlugin
import EventdKafka
import EventdRouting
import Foundation

/// Builds a C event from an owned record for a replay.
enum ReplayEvent {
    static func with<R>(_ record: CopiedRecord, event: EventName, group: UnsafePointer<CChar>, id: String,
                        _ body: (UnsafePointer<dte_event>, UnsafeMutablePointer<CChar>) -> R) -> R {
        var strings: [UnsafeMutablePointer<CChar>] = []
        var buffers: [UnsafeMutableRawPointer] = []
        defer {
            strings.forEach { free($0) }
            buffers.forEach { free($0) }
        }
        func copy(_ bytes: [UInt8]?) -> (UnsafeRawPointer?, Int) {
            guard let bytes else { return (nil, 0) }
            let p = malloc(max(bytes.count, 1))!
            bytes.withUnsafeBytes { if $0.count > 0 { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
            buffers.append(p)
            return (UnsafeRawPointer(p), bytes.count)
        }
        let headers = record.headers.map { h -> dte_header in
            let name = strdup(h.name)!
            strings.append(name)
            let (value, length) = copy(h.value)
            return dte_header(name: name, value: value, value_len: length)
        }
        let topic = strdup(record.topic)!, cID = strdup(id)!
        strings += [topic, cID]
        let (key, keyLength) = copy(record.keyBytes)
        let (value, valueLength) = copy(record.valueBytes)
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: EventScratch.errorCapacity)
        defer { errorBuffer.deallocate() }
        errorBuffer[0] = 0
        return headers.withUnsafeBufferPointer { list in
            var cEvent = dte_event(
                struct_size: UInt32(MemoryLayout<dte_event>.size), topic: topic, partition: record.partition, offset: record.offset,
                timestamp_ms: record.timestampMs, key: key, key_len: keyLength, value: value, value_len: valueLength,
                headers: list.baseAddress, header_count: list.count, event_name: event.cName, event_id: cID, consumer_group: group)
            return body(&cEvent, errorBuffer)
        }
    }
}
