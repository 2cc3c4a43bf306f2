// Finds a record's canonical event name and id: the CloudEvents `ce_type`
// header, else the JSON envelope's `eventType`, else the single-event topic.
// Rejects, before any plugin sees it, a record that is not a well-formed event.
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
    ///
    /// Checks, in order: every header value is UTF-8; a CloudEvents record has
    /// non-empty `ce_id` and `ce_time` headers, an envelope non-empty `eventId`
    /// and `occurredAt` strings; the time is RFC 3339; the event is in the catalog.
    static func resolve(_ record: KafkaRecord, topic: Int, routes: RouteTable<PluginInstance>,
                        scratch: inout EventScratch) -> Result<ResolvedEvent, ResolveProblem> {
        scratch.setID(nil)
        if let problem = headerProblem(record) { return .failure(problem) }
        if case .some(.some(let type)) = record.header("ce_type") {
            let idHeader = record.header("ce_id"), timeHeader = record.header("ce_time")
            var missing: [String] = []
            if let problem = absence(of: "ce_id", idHeader) { missing.append(problem) }
            if let problem = absence(of: "ce_time", timeHeader) { missing.append(problem) }
            guard missing.isEmpty, case .some(.some(let id)) = idHeader, case .some(.some(let time)) = timeHeader else {
                return .failure(ResolveProblem(outcome: .missingField, message: "CloudEvents record has \(missing.joined(separator: " and "))"))
            }
            guard EnvelopeScanner.isTimestamp(time) else {
                return .failure(ResolveProblem(outcome: .malformed, message: "ce_time \(quoted(time)) is not an RFC 3339 timestamp"))
            }
            guard let event = routes.catalog.event(named: type) else {
                return .failure(ResolveProblem(outcome: .unknownEvent,
                                               message: "ce_type \(quoted(type)) is not an event of the catalog"))
            }
            scratch.setID(id)
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
        if !fields.notStrings.isEmpty {
            let names = [(EnvelopeFields.Field.eventType, "eventType"), (.eventId, "eventId"), (.occurredAt, "occurredAt")]
                .filter { fields.notStrings.contains($0.0) }.map(\.1)
            return .failure(ResolveProblem(outcome: .malformed,
                                           message: "envelope's \(names.joined(separator: " and ")) \(names.count > 1 ? "are not strings" : "is not a string")"))
        }
        var missing: [String] = []
        if let problem = absence(of: "eventId", fields.eventId) { missing.append(problem) }
        if let problem = absence(of: "occurredAt", fields.occurredAt) { missing.append(problem) }
        guard missing.isEmpty, let idRange = fields.eventId, let timeRange = fields.occurredAt else {
            return .failure(ResolveProblem(outcome: .missingField, message: "envelope has \(missing.joined(separator: " and "))"))
        }
        if !EnvelopeScanner.isTimestamp(UnsafeRawBufferPointer(rebasing: value[timeRange])) {
            // An escaped timestamp ("\u0032026-...") is rare but valid JSON: judge the decoded text.
            var time = EnvelopeScanner.decode(value, timeRange)
            guard fields.hasEscapes, time.withUTF8({ EnvelopeScanner.isTimestamp(UnsafeRawBufferPointer($0)) }) else {
                return .failure(ResolveProblem(outcome: .malformed, message: "occurredAt \(quoted(time)) is not an RFC 3339 timestamp"))
            }
        }
        if fields.hasEscapes {
            scratch.setID(EnvelopeScanner.decode(value, idRange))
        } else {
            scratch.setID(UnsafeRawBufferPointer(rebasing: value[idRange]))
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
            return .failure(ResolveProblem(outcome: .unknownEvent, message: "eventType \(quoted(decoded)) is not an event of the catalog"))
        }
        if let event = routes.singleEvent(onTopic: topic) {
            return .success(ResolvedEvent(event: event, source: .topic))
        }
        return .failure(ResolveProblem(outcome: .missingField,
                                       message: "no ce_type header, no eventType field, and topic '\(record.topic)' carries more than one event"))
    }

    /// The record's event id as `resolve` finds it, without judging the rest (a batch's ids, looked up
    /// in the ledger ahead of its events); nil when it has none.
    static func eventID(_ record: KafkaRecord) -> String? {
        if case .some(.some) = record.header("ce_type") {
            if case .some(.some(let id)) = record.header("ce_id") { return String(decoding: id, as: UTF8.self) }
            return nil
        }
        guard let value = record.value, let fields = try? EnvelopeScanner.scan(value), let range = fields.eventId else { return nil }
        return EnvelopeScanner.decode(value, range)
    }

    /// The first header whose value is not UTF-8, as a problem. A null value is fine.
    private static func headerProblem(_ record: KafkaRecord) -> ResolveProblem? {
        var bad: UnsafePointer<CChar>?
        record.forEachHeader { name, value in
            if bad == nil, let value, !EnvelopeScanner.isValidUTF8(value) { bad = name }
        }
        guard let bad else { return nil }
        return ResolveProblem(outcome: .invalidHeader, message: "header '\(String(cString: bad))' is not valid UTF-8")
    }

    /// "no NAME" for an absent or null header, "an empty NAME" for an empty one; nil when it has a value.
    private static func absence(of name: String, _ header: UnsafeRawBufferPointer??) -> String? {
        switch header {
        case .none, .some(.none): "no \(name) header"
        case .some(.some(let value)): value.isEmpty ? "an empty \(name) header" : nil
        }
    }

    /// "no NAME" for an absent envelope member, "an empty NAME" for an empty string; nil when it has a value.
    private static func absence(of name: String, _ range: Range<Int>?) -> String? {
        guard let range else { return "no \(name)" }
        return range.isEmpty ? "an empty \(name)" : nil
    }

    /// The value in single quotes for an error message, cut at 64 bytes.
    private static func quoted(_ bytes: UnsafeRawBufferPointer) -> String {
        let text = String(decoding: bytes.prefix(64), as: UTF8.self)
        return "'\(text)\(bytes.count > 64 ? "…" : "")'"
    }

    private static func quoted(_ text: String) -> String {
        text.utf8.count > 64 ? "'\(String(decoding: text.utf8.prefix(64), as: UTF8.self))…'" : "'\(text)'"
    }
}
