// libFuzzer entry for the envelope scanner: every Kafka record's value goes through it.
import CFuzzDriver
import EventdRouting

@main enum Main {
    static func main() { eventd_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv) { fuzz($0!, $1) } }
}

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    _ = EnvelopeScanner.isValidUTF8(bytes)
    _ = EnvelopeScanner.isTimestamp(bytes)
    guard let fields = try? EnvelopeScanner.scan(bytes) else { return }
    // What the resolver does next with a scanned envelope.
    for range in [fields.eventType, fields.eventId, fields.occurredAt].compactMap({ $0 }) {
        precondition(range.lowerBound >= 0 && range.upperBound <= size, "field range \(range) outside \(size) bytes")
        _ = EnvelopeScanner.decode(bytes, range)
        _ = EnvelopeScanner.isTimestamp(UnsafeRawBufferPointer(rebasing: bytes[range]))
    }
    precondition(EnvelopeScanner.isValidUTF8(bytes), "an accepted envelope is not valid UTF-8")
}
