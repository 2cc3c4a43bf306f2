// The trace id of an event's W3C `traceparent` header, for the journal's
// TRACE_ID field: log lines about an event handled with a traceparent carry
// its trace, so `journalctl TRACE_ID=<id>` shows what the daemon and its
// plugins said about it.
import CEventdPlugin

public enum TraceID {
    /// The header (W3C Trace Context, also what follow-ups carry).
    public static let header = "traceparent"
    /// The metadata key of the trace id in log lines (journal field `TRACE_ID`).
    public static let metadataKey = "trace_id"

    /// The 32-hex-digit trace id of a `traceparent` value (`00-<trace>-<span>-<flags>`); nil when it is
    /// not a valid one (wrong shape, upper-case or non-hex digits, an all-zero id, version ff).
    public static func of(traceparent value: some Collection<UInt8>) -> String? {
        let bytes = Array(value)
        guard bytes.count >= 55, bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"), bytes[52] == UInt8(ascii: "-"),
              bytes.count == 55 || bytes[55] == UInt8(ascii: "-") else { return nil }
        func isHex(_ range: Range<Int>) -> Bool {
            bytes[range].allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
        }
        guard isHex(0..<2), isHex(3..<35), isHex(36..<52), isHex(53..<55), !(bytes[0] == 0x66 && bytes[1] == 0x66),
              bytes[3..<35].contains(where: { $0 != 0x30 }) else { return nil }
        return String(decoding: bytes[3..<35], as: UTF8.self)
    }

    /// The trace id of a C event's `traceparent` header, if it has a valid one.
    public static func of(_ event: UnsafePointer<dte_event>) -> String? {
        let e = event.pointee
        guard let headers = e.headers else { return nil }
        for i in 0..<e.header_count {
            let h = headers[i]
            guard let name = h.name, strcmp(name, header) == 0, let value = h.value else { continue }
            return of(traceparent: UnsafeRawBufferPointer(start: value, count: h.value_len))
        }
        return nil
    }
}

#if canImport(Glibc)
import Glibc
#endif
