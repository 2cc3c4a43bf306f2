// Finds a record's canonical event name and id: the CloudEvents `ce_type`
// header, else the JSON envelope's `eventType`, else the single-event topic.
import EventdKafka
import EventdPluginHost
import EventdRouting

struct ResolvedEvent {
    let event: EventName
    let source: EventNameSource
}

struct ResolveProblem: Error {
    let outcome: DeadLetterOutcome
    let message: String
}

enum EventResolver {
    /// Resolves the event and leaves its id in `scratch`.
    static func resolve(_ record: KafkaRecord, topic: Int, routes: RouteTable<PluginInstance>,
                        scratch: inout EventScratch) -> Result<ResolvedEvent, ResolveProblem> {
        scratch.setID(nil)
        if case .some(.some(let type)) = record.header("ce_type") {
            guard let event = routes.catalog.event(named: type) else {
                return .failure(ResolveProblem(outcome: .unknownEvent,
                                               message: "ce_type '\(String(decoding: type, as: UTF8.self))' is not an event of the catalog"))
            }
            if case .some(.some(let id)) = record.header("ce_id") { scratch.setID(id) }
            return .success(ResolvedEvent(event: event, source: .cloudEventsHeader))
        }
        guard let value = record.value, value.count > 0 else {
            return .failure(ResolveProblem(outcome: .malformed, message: "empty value and no ce_type header"))
        }
        let fields: EnvelopeFields
        do {
            fields = try EnvelopeScanner.scan(value)
        } catch {
            return .failure(ResolveProblem(outcome: .malformed, message: "value is not a JSON event envelope: \(error)"))
        }
        if let range = fields.eventId {
            if fields.hasEscapes {
                scratch.setID(EnvelopeScanner.decode(value, range))
            } else {
                scratch.setID(UnsafeRawBufferPointer(rebasing: value[range]))
            }
        }
        if let range = fields.eventType {
            let raw = UnsafeRawBufferPointer(rebasing: value[range])
            if let event = routes.catalog.event(named: raw) {
                return .success(ResolvedEvent(event: event, source: .envelope))
            }
            let decoded = EnvelopeScanner.decode(value, range)
            if fields.hasEscapes, let event = routes.catalog.event(named: decoded) {
                return .success(ResolvedEvent(event: event, source: .envelope))
            }
            return .failure(ResolveProblem(outcome: .unknownEvent, message: "eventType '\(decoded)' is not an event of the catalog"))
        }
        if let event = routes.singleEvent(onTopic: topic) {
            return .success(ResolvedEvent(event: event, source: .topic))
        }
        return .failure(ResolveProblem(outcome: .malformed,
                                       message: "no ce_type header, no eventType field, and topic '\(record.topic)' carries more than one event"))
    }
}
