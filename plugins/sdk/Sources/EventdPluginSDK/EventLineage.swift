// What ties a follow-up to the event that caused it: `causationId` (that
// event's id), `correlationId` (the chain's first event id, carried along)
// and a W3C `traceparent` continuing the cause's trace with a new span.
import Foundation

/// The wire names of the chain attributes, written once.
public enum LineageField {
    /// JSON envelope fields.
    public static let causationId = "causationId"
    public static let correlationId = "correlationId"
    /// CloudEvents binary-mode extension attributes (`causationid`, `correlationid`).
    public static let causationHeader = "ce_causationid"
    public static let correlationHeader = "ce_correlationid"
    /// W3C Trace Context header.
    public static let traceparentHeader = "traceparent"
}

/// A W3C trace context (`traceparent`: version 00, 32 hex trace id, 16 hex
/// parent span id, 2 hex flags).
public struct TraceContext: Equatable, Sendable, CustomStringConvertible {
    public let traceId: String
    public let spanId: String
    public let flags: String

    public var description: String { "00-\(traceId)-\(spanId)-\(flags)" }

    /// Parses a `traceparent` value; `nil` when it is not a valid one (an
    /// invalid header starts a new trace, as the W3C recommendation says).
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 4, parts[0].count == 2, parts[0] != "ff", Self.isHex(parts[0]),
              parts[1].count == 32, Self.isHex(parts[1]), parts[1] != String(repeating: "0", count: 32),
              parts[2].count == 16, Self.isHex(parts[2]), parts[2] != String(repeating: "0", count: 16),
              parts[3].count == 2, Self.isHex(parts[3]), parts[0] != "00" || parts.count == 4 else { return nil }
        (traceId, spanId, flags) = (parts[1], parts[2], parts[3])
    }

    public init(traceId: String, spanId: String, flags: String) {
        (self.traceId, self.spanId, self.flags) = (traceId, spanId, flags)
    }

    static func isHex(_ s: String) -> Bool {
        s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}

/// Where an event sits in its chain, as its follow-ups need it.
public struct EventLineage: Equatable, Sendable {
    /// The event's own id: its follow-ups' `causationId`.
    public let eventId: String
    /// The chain's first event id: the event's own `correlationId`, or its id when it starts a chain.
    public let correlationId: String
    /// The event's trace context, when it carried a valid `traceparent`.
    public let trace: TraceContext?

    public init(eventId: String, correlationId: String?, traceparent: String?) {
        self.eventId = eventId
        self.correlationId = correlationId.flatMap { $0.isEmpty ? nil : $0 } ?? eventId
        trace = traceparent.flatMap(TraceContext.init)
    }

    /// The trace context of the follow-up `followUpId`: the cause's trace (or,
    /// when it had none, a new one named after the chain) with a span of its
    /// own. Both derive from ids, so a follow-up sent again is the same record.
    public func childTrace(followUpId: String) -> TraceContext {
        let traceId = trace?.traceId ?? Self.digest("trace\u{0}\(correlationId)")
        return TraceContext(traceId: traceId, spanId: String(Self.digest("span\u{0}\(followUpId)").prefix(16)),
                            flags: trace?.flags ?? "01")
    }

    /// The headers a JSON follow-up carries (its causation and correlation are envelope fields).
    public func followUpHeaders(followUpId: String) -> [Header] {
        [Header(LineageField.traceparentHeader, childTrace(followUpId: followUpId).description)]
    }

    /// 32 hex digits, stable across processes (the follow-up id's hash).
    static func digest(_ text: String) -> String {
        String(Event.followUpID(of: text, 0, plugin: "lineage").dropFirst(3))
    }
}

extension Event {
    /// The value of header `name` as a string, when present.
    func headerString(_ name: String) -> String? { header(name).map { String(decoding: $0, as: UTF8.self) } }
}

extension PluginHost {
    /// Produces `event`, a follow-up of the event `lineage` describes, with its `traceparent` header.
    /// - Throws: `HostError` when the host could not queue it; encoding errors.
    public func produce<P: Encodable>(_ event: OutgoingEvent<P>, topic: String, key: [UInt8]?, after lineage: EventLineage) throws {
        try produce(topic: topic, key: key, value: try event.encoded(), headers: lineage.followUpHeaders(followUpId: event.eventId))
    }
}
