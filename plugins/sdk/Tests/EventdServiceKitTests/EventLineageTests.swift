// Follow-ups tied to their cause: causationId, correlationId carried along a
// chain, a traceparent continuing the cause's trace (or starting one), and
// occurredAt the time of production, for both wire forms of the cause.
import EventdCatalog
import EventdPluginSDK
import EventdPluginTesting
import EventdServiceKit
import Foundation
import Testing

@Suite struct EventLineageTests {
    static let parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    func jsonEvent(id: String, correlationId: String? = nil, traceparent: String? = nil) -> Event {
        var envelope: [String: Any] = ["eventId": id, "eventType": "mission.started", "occurredAt": "2025-03-01T09:00:00Z",
                                       "payload": ["userId": "u-1", "missionId": "m-1", "ticketCost": 1]]
        if let correlationId { envelope["correlationId"] = correlationId }
        let value = try! JSONSerialization.data(withJSONObject: envelope, options: [.sortedKeys])
        return Event(topic: "mission-events", value: Array(value), headers: traceparent.map { [Header("traceparent", $0)] } ?? [],
                     name: "mission.started", id: id, consumerGroup: "g")
    }

    /// Produces one follow-up of `event` through the service kit, returning the record.
    func followUp(of event: Event) throws -> ProducedEvent {
        let host = TestHost()
        let incoming = try Incoming(event, as: MissionStarted.self)
        let out = FollowUps(incoming, host: host.pluginHost(), plugin: "p", source: "p-service")
        try out.produce(topic: "out", type: "x.happened", payload: ["userId": "u-1"])
        return try #require(host.produced.first)
    }

    func envelope(_ record: ProducedEvent) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(record.value ?? [])) as? [String: Any])
    }

    @Test func theFirstFollowUpOfAChainNamesItsCauseAsCausationAndCorrelation() throws {
        let before = Date()
        let record = try followUp(of: jsonEvent(id: "e-1"))
        let json = try envelope(record)
        #expect(json["causationId"] as? String == "e-1")
        #expect(json["correlationId"] as? String == "e-1")
        #expect(json["eventId"] as? String == jsonEvent(id: "e-1").followUpID(0, plugin: "p"), "the id stays deterministic")
        let at = try #require(Timestamp.date(json["occurredAt"] as? String ?? ""))
        #expect(at >= before.addingTimeInterval(-0.001) && at <= Date(), "occurredAt is when the follow-up happened, not 2025-03-01")
        // No trace on the cause: a new trace, named after the chain, with a span of the follow-up's own.
        let trace = try #require(TraceContext(record.header("traceparent") ?? ""))
        #expect(trace == EventLineage(eventId: "e-1", correlationId: nil, traceparent: nil).childTrace(followUpId: json["eventId"] as! String))
        #expect(trace.flags == "01")
    }

    @Test func aFollowUpCarriesTheChainsCorrelationAndContinuesItsTrace() throws {
        let record = try followUp(of: jsonEvent(id: "e-2", correlationId: "e-0", traceparent: Self.parent))
        let json = try envelope(record)
        #expect(json["causationId"] as? String == "e-2")
        #expect(json["correlationId"] as? String == "e-0")
        let trace = try #require(TraceContext(record.header("traceparent") ?? ""))
        #expect(trace.traceId == "0af7651916cd43dd8448eb211c80319c")
        #expect(trace.spanId != "b7ad6b7169203331" && trace.spanId.count == 16)
        #expect(trace.flags == "01")
    }

    @Test func aCloudEventsCauseGivesItsCorrelationByExtensionAttribute() throws {
        let event = Event(topic: "mission-events", value: Array(#"{"userId":"u-1","missionId":"m-1","ticketCost":1}"#.utf8),
                          headers: [Header("ce_id", "ce-9"), Header("ce_type", "mission.started"), Header("ce_time", "2025-03-01T09:00:00Z"),
                                    Header("ce_correlationid", "first-1"), Header("ce_causationid", "ce-8"),
                                    Header("traceparent", Self.parent)],
                          name: "mission.started", id: "ce-9", consumerGroup: "g")
        let decoded = try EventEnvelope<MissionStarted>(event)
        #expect(decoded.causationId == "ce-8" && decoded.correlationId == "first-1")
        let json = try envelope(try followUp(of: event))
        #expect(json["causationId"] as? String == "ce-9")
        #expect(json["correlationId"] as? String == "first-1")
    }

    @Test func theSameCauseYieldsTheSameTraceAndDifferentFollowUpsDifferentSpans() {
        let lineage = EventLineage(eventId: "e-1", correlationId: "e-0", traceparent: nil)
        #expect(lineage.childTrace(followUpId: "fu-1") == lineage.childTrace(followUpId: "fu-1"))
        #expect(lineage.childTrace(followUpId: "fu-1").traceId == lineage.childTrace(followUpId: "fu-2").traceId)
        #expect(lineage.childTrace(followUpId: "fu-1").spanId != lineage.childTrace(followUpId: "fu-2").spanId)
        // The chain's trace without a traceparent is named after the correlation id, so every hop agrees.
        #expect(lineage.childTrace(followUpId: "x").traceId
                == EventLineage(eventId: "e-7", correlationId: "e-0", traceparent: nil).childTrace(followUpId: "y").traceId)
    }

    @Test(arguments: [
        "", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331", "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01", "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x",
        "00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01",
    ])
    func anInvalidTraceparentStartsANewTrace(value: String) {
        #expect(TraceContext(value) == nil)
        #expect(EventLineage(eventId: "e", correlationId: nil, traceparent: value).trace == nil)
    }

    @Test func aValidTraceparentRoundTrips() {
        #expect(TraceContext(Self.parent)?.description == Self.parent)
    }
}
