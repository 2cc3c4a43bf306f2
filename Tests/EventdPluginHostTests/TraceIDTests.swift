// The trace id of a W3C traceparent, as log lines carry it (journal TRACE_ID).
import EventdPluginHost
import Testing

@Suite struct TraceIDTests {
    @Test func theTraceIdOfAValidTraceparent() {
        #expect(TraceID.of(traceparent: Array("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".utf8))
            == "4bf92f3577b34da6a3ce929d0e0e4736")
        // A later version may append fields after the flags.
        #expect(TraceID.of(traceparent: Array("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra".utf8))
            == "4bf92f3577b34da6a3ce929d0e0e4736")
    }

    @Test(arguments: [
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",       // no flags
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",    // upper case
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",    // all-zero trace id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // version ff
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",    // not hex
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",    // wrong separators
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",   // junk after the flags
    ])
    func anInvalidTraceparentHasNoTraceId(_ value: String) {
        #expect(TraceID.of(traceparent: Array(value.utf8)) == nil)
    }
}
