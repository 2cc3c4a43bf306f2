// Log lines about one event carry its trace id (journal field TRACE_ID) when
// it was handled with a W3C traceparent: `journalctl TRACE_ID=<id>` shows its
// retries, parking and dead letter next to its plugins' own lines.
import EventdKafka
import EventdPluginHost
import Logging

extension Logger.Metadata {
    /// This metadata plus `record`'s trace id, when it carries a valid `traceparent` header.
    func traced(_ record: some RecordFields) -> Logger.Metadata {
        guard let value = record.headerList.first(where: { $0.name == TraceID.header })?.value,
              let trace = TraceID.of(traceparent: value) else { return self }
        var metadata = self
        metadata[TraceID.metadataKey] = .string(trace)
        return metadata
    }
}
