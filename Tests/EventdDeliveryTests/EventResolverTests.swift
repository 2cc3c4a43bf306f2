// The checks every record passes before any plugin sees it, on real records
// consumed from an in-process mock cluster (headers and values as librdkafka hands them over).
@testable import EventdDelivery
import EventdKafka
import EventdPluginHost
import EventdRouting
import Foundation
import Testing

@Suite struct EventResolverTests {
    final class Quiet: KafkaClientEvents, @unchecked Sendable {
        func kafkaLog(level: Int32, facility: String, message: String) {}
        func kafkaError(_ error: KafkaError) {}
    }

    struct Case {
        var topic = "mission-events"
        var value: String?
        var headers: [OutgoingHeader] = []
    }

    /// What resolving each case gave: the event name and id, or the dead-letter outcome and message.
    enum Resolution: Equatable {
        case event(String, id: String, source: EventNameSource)
        case problem(DeadLetterOutcome, String)
    }

    static func envelope(_ fields: String) -> String { "{\(fields),\"payload\":{\"userId\":\"u1\"}}" }
    static let valid = envelope(#""eventId":"e-1","eventType":"mission.started","occurredAt":"2026-12-01T10:00:00Z""#)

    /// Produces every case to a fresh mock cluster, consumes them back in order and resolves each.
    func resolve(_ cases: [Case]) throws -> [Resolution] {
        let cluster = try EmbeddedCluster(brokers: 1)
        for topic in ["mission-events", "mission.completed"] { try cluster.createTopic(topic, partitions: 1) }
        let producer = try KafkaProducer(properties: KafkaProperties(["bootstrap.servers": cluster.bootstrapServers, "linger.ms": "1"]),
                                         events: Quiet())
        let tracker = DeliveryTracker()
        for c in cases {
            try producer.produce(topic: c.topic, key: nil, value: c.value.map { Array($0.utf8) }, headers: c.headers, tracker: tracker)
            // One at a time: records of two topics come back in production order.
            #expect(tracker.wait() == nil)
        }
        let plugin = try Fixtures.load("counter")[0]
        let routes = try RouteTable(catalog: Fixtures.catalog, claims: [
            RouteClaim(event: "mission.started", topics: ["mission-events"], target: plugin),
            RouteClaim(event: "mission.completed", topics: ["mission-events", "mission.completed"], target: plugin),
        ])
        let consumer = try KafkaConsumer(properties: KafkaProperties([
            "bootstrap.servers": cluster.bootstrapServers, "group.id": "resolver-test", "fetch.wait.max.ms": "10",
        ]), events: Quiet())
        defer { consumer.close() }
        try consumer.assign([(TopicPartition("mission-events", 0), 0), (TopicPartition("mission.completed", 0), 0)])
        let batch = consumer.makeBatch(capacity: 100)
        defer { batch.release() }
        var scratch = EventScratch()
        defer { scratch.free() }
        var byOffset: [String: [Int64: Resolution]] = [:]
        let deadline = Date().addingTimeInterval(20)
        while byOffset.values.map(\.count).reduce(0, +) < cases.count && Date() < deadline {
            consumer.consume(into: batch, timeoutMs: 200)
            for i in 0..<batch.count where batch[i].errorCode == 0 {
                let record = batch[i]
                let topic = try #require(routes.topic(record.topic))
                let resolution: Resolution = switch EventResolver.resolve(record, topic: topic, routes: routes, scratch: &scratch) {
                case .success(let resolved):
                    .event(resolved.event.name, id: String(decoding: scratch.idBytes, as: UTF8.self), source: resolved.source)
                case .failure(let problem):
                    .problem(problem.outcome, problem.message)
                }
                byOffset[record.topic, default: [:]][record.offset] = resolution
            }
        }
        // Back in the order produced: each topic's records by offset.
        var next: [String: Int64] = [:]
        return cases.map { c in
            defer { next[c.topic, default: 0] += 1 }
            return byOffset[c.topic]?[next[c.topic, default: 0]] ?? .problem(.malformed, "not consumed")
        }
    }

    @Test func wellFormedEventsResolveFromTheirHeaderTheirEnvelopeOrTheirTopic() throws {
        let results = try resolve([
            Case(value: Self.valid),
            Case(value: #"{"data":1}"#, headers: [OutgoingHeader("ce_type", "mission.completed"), OutgoingHeader("ce_id", "ce-7"),
                                                 OutgoingHeader("ce_time", "2026-12-01T10:00:00.5+09:00")]),
            Case(topic: "mission.completed", value: Self.envelope(#""eventId":"e-2","occurredAt":"2026-12-01T10:00:00Z""#)),
            // An escaped id is decoded before it becomes the idempotency key.
            Case(value: Self.envelope(#""eventId":"e\u002d3","eventType":"mission.started","occurredAt":"2026-12-01T10:00:00Z""#)),
        ])
        #expect(results == [
            .event("mission.started", id: "e-1", source: .envelope),
            .event("mission.completed", id: "ce-7", source: .cloudEventsHeader),
            .event("mission.completed", id: "e-2", source: .topic),
            .event("mission.started", id: "e-3", source: .envelope),
        ])
    }

    @Test func badRecordsAreRefusedWithTheOutcomeAndAReasonThatNamesTheField() throws {
        let results = try resolve([
            Case(value: "{not json"),
            Case(value: nil),
            Case(value: Self.envelope(#""eventId":"e-1","eventType":"mission.exploded","occurredAt":"2026-12-01T10:00:00Z""#)),
            Case(value: Self.envelope(#""eventId":"","eventType":"mission.started""#)),
            Case(value: Self.envelope(#""eventId":"e-1","eventType":"mission.started","occurredAt":"yesterday""#)),
            Case(value: Self.envelope(#""eventId":7,"eventType":"mission.started","occurredAt":"2026-12-01T10:00:00Z""#)),
            Case(value: Self.envelope(#""eventId":"e-1","occurredAt":"2026-12-01T10:00:00Z""#)),
            Case(value: "{}", headers: [OutgoingHeader("ce_type", "mission.started"), OutgoingHeader("ce_time", "2026-12-01T10:00:00Z")]),
            Case(value: "{}", headers: [OutgoingHeader("ce_type", "mission.started"), OutgoingHeader("ce_id", "x"),
                                        OutgoingHeader("ce_time", "12/01/2026")]),
            Case(value: Self.valid, headers: [OutgoingHeader("trace", [0x66, 0xFF, 0x6F])]),
        ])
        #expect(results == [
            .problem(.malformed, "value is not a JSON event envelope: \(try scanError("{not json"))"),
            .problem(.malformed, "empty value and no ce_type header"),
            .problem(.unknownEvent, "eventType 'mission.exploded' is not an event of the catalog"),
            .problem(.missingField, "envelope has an empty eventId and no occurredAt"),
            .problem(.malformed, "occurredAt 'yesterday' is not an RFC 3339 timestamp"),
            .problem(.malformed, "envelope's eventId is not a string"),
            .problem(.missingField, "no ce_type header, no eventType field, and topic 'mission-events' carries more than one event"),
            .problem(.missingField, "CloudEvents record has no ce_id header"),
            .problem(.malformed, "ce_time '12/01/2026' is not an RFC 3339 timestamp"),
            .problem(.invalidHeader, "header 'trace' is not valid UTF-8"),
        ])
    }

    /// The scanner's own message for a value, so the resolver's wording around it is what is checked.
    func scanError(_ value: String) throws -> String {
        let bytes = Array(value.utf8)
        return bytes.withUnsafeBytes { raw in
            do {
                _ = try EnvelopeScanner.scan(raw)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
    }
}
