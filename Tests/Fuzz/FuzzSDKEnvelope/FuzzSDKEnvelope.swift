// libFuzzer entry for the SDK's envelope decoding, as a plugin runs it on every event.
//
// Input layout: a header block, a blank line, then the record's value. Each
// header line is `name=value`; with a `ce_type` header the record is read in
// CloudEvents binary mode, without it as a JSON envelope. An input without a
// blank line is all value.
import CFuzzDriver
import EventdCatalog
import EventdPluginSDK
import Foundation

@main enum Main {
    static func main() { eventd_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv) { fuzz($0!, $1) } }
}

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    var headers: [Header] = []
    var value = input[...]
    if let blank = (0..<max(0, size - 1)).first(where: { input[$0] == 0x0A && input[$0 + 1] == 0x0A }) {
        for line in input[..<blank].split(separator: 0x0A) {
            let equals = line.firstIndex(of: UInt8(ascii: "=")) ?? line.endIndex
            headers.append(Header(String(decoding: line[..<equals], as: UTF8.self), Array(line[equals...].dropFirst())))
        }
        value = input[(blank + 2)...]
    }
    let event = Event(topic: "mission-events", value: Array(value), headers: headers,
                      name: "mission.started", id: "", consumerGroup: "fuzz")
    // Payloads with the SDK's strict integers, optionals and plain strings.
    if let started = try? EventEnvelope<MissionStarted>(event) { try? started.payload.validate(.keySafe) }
    if let changed = try? EventEnvelope<SubscriptionChanged>(event) { try? changed.payload.validate(.nonEmptyIds) }
    _ = try? EventEnvelope<[String: String]>(event)
    do {
        _ = try EventEnvelope<MissionCompleted>(event)
    } catch {
        // The message is what a reject carries to the dead letter: it must be printable.
        precondition(!"\(error)".isEmpty, "a decoding error without a message")
    }
}
