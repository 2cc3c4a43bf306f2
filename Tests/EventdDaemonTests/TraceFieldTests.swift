// The trace id a log line carries (metadata "trace_id", see
// EventdPluginHost.TraceID) is the journal field TRACE_ID.
@testable import EventdDaemon
import Testing

@Suite struct TraceFieldTests {
    @Test func theTraceIdIsTheJournalFieldTraceId() {
        #expect(JournalLogHandler.journalFieldName("trace_id") == "TRACE_ID")
        #expect(!JournalLogHandler.reservedFields.contains("TRACE_ID"))
    }
}
