import Foundation
import EventdPluginSDK
import EventdPluginTesting
import Testing

final class CounterPlugin: EventPlugin {
    static let name = "counter"
    static let version = "1.2.3"
    static let subscriptions = [Subscription("mission.started", group: "test-group")]
    let host: PluginHost
    let limit: Int

    init(host: PluginHost, settings: PluginSettings) throws {
        self.host = host
        limit = try settings.int("limit") ?? 3
    }

    func handle(_ event: Event) -> Outcome {
        do {
            let count = (try host.stateString("count")).flatMap(Int.init) ?? 0
            guard count < limit else { return .reject("limit \(limit) reached at \(event.id)") }
            try host.setState("count", String(count + 1))
            try host.produce(topic: "counted", key: event.key, value: Array(String(count + 1).utf8),
                             headers: [Header("source-id", event.id)])
            host.log(.info, "counted", ["event_id": event.id])
            return .ok
        } catch {
            return .retry("\(error)")
        }
    }
}

@Suite struct PluginExportTests {
    func event(_ id: String) -> Event {
        Event(topic: "mission-events", key: Array("k".utf8), value: Array("{}".utf8), name: "mission.started", id: id, consumerGroup: "test-group")
    }

    @Test func registrationStructDescribesThePlugin() throws {
        let host = TestHost()
        try host.load(PluginExport.register(CounterPlugin.self))
        #expect(String(cString: host.descriptor.name) == "counter")
        #expect(String(cString: host.descriptor.version) == "1.2.3")
        #expect(host.descriptor.subscription_count == 1)
        #expect(String(cString: host.descriptor.subscriptions[0].consumer_group) == "test-group")
    }

    @Test func handleRoundTripsStateProduceAndLogThroughTheABI() throws {
        let host = TestHost()
        try host.load(PluginExport.register(CounterPlugin.self), settings: #"{"limit": 2}"#)
        #expect(host.handle(event("e1")) == .ok)
        #expect(host.handle(event("e2")) == .ok)
        #expect(host.handle(event("e3")) == .reject("limit 2 reached at e3"))
        #expect(host.stateString("count") == "2")
        #expect(host.produced.map(\.valueString) == ["1", "2"])
        #expect(host.produced[1].header("source-id") == "e2")
        #expect(host.logs.count == 2 && host.logs[0].fields["event_id"] == "e1")
        host.shutdown()
    }

    @Test func failedProduceBecomesRetry() throws {
        let host = TestHost()
        try host.load(PluginExport.register(CounterPlugin.self))
        host.failProduce = -3
        #expect(host.handle(event("e1")) == .retry("host produce failed (code -3)"))
    }

    @Test func wrongSettingTypeRefusesInit() {
        let host = TestHost()
        #expect(throws: TestHostError.self) { try host.load(PluginExport.register(CounterPlugin.self), settings: #"{"limit": "x"}"#) }
    }
}

struct MissionStarted: Decodable, Equatable {
    var userId: String
    var missionId: String
    var tickets: Int
}

@Suite struct EventEnvelopeTests {
    func event(_ json: String, headers: [Header] = []) -> Event {
        Event(topic: "mission-events", value: Array(json.utf8), headers: headers, name: "mission.started", id: "e-1", consumerGroup: "g")
    }

    @Test func decodesAJSONEnvelopeStrictly() throws {
        let e = try EventEnvelope<MissionStarted>(event(#"{"eventId":"e-1","eventType":"mission.started","occurredAt":"2026-11-24T10:00:00.250Z","source":"mission-service","subject":"u-1","payload":{"userId":"u-1","missionId":"m-1","tickets":2}}"#))
        #expect(e.eventId == "e-1" && e.subject == "u-1" && e.payload == MissionStarted(userId: "u-1", missionId: "m-1", tickets: 2))
        #expect(abs(e.occurredAt.timeIntervalSince1970 - 1795514400.25) < 0.001)
    }

    @Test func decodesACloudEventsBinaryRecord() throws {
        let e = try EventEnvelope<MissionStarted>(event(#"{"userId":"u-2","missionId":"m-2","tickets":1}"#, headers: [
            Header("ce_type", "mission.started"), Header("ce_id", "ce-9"), Header("ce_time", "2026-11-24T10:00:00Z"), Header("ce_source", "svc"),
        ]))
        #expect(e.eventId == "ce-9" && e.source == "svc" && e.payload.userId == "u-2")
    }

    @Test(arguments: [
        (#"{"eventId":"e","eventType":"t","occurredAt":"2026-11-24T10:00:00Z","payload":{"missionId":"m","tickets":1}}"#, "missing field 'payload.userId'"),
        (#"{"eventId":"e","eventType":"t","occurredAt":"2026-11-24T10:00:00Z","payload":{"userId":"u","missionId":"m","tickets":"2"}}"#, "field 'payload.tickets' must be an integer"),
        (#"{"eventType":"t","occurredAt":"2026-11-24T10:00:00Z","payload":{}}"#, "missing field 'eventId'"),
        (#"{"eventId":"e","eventType":"t","occurredAt":"yesterday","payload":{}}"#, "field 'occurredAt' must be an RFC 3339 timestamp, got 'yesterday'"),
        (#"{"eventId":"e","eventType":"t","occurredAt":"2026-11-24T10:00:00Z"}"#, "missing field 'payload'"),
        (#"{"eventId":"e","eventType":"t","occurredAt":"2026-11-24T10:00:00Z","payload":{"userId":null,"missionId":"m","tickets":1}}"#, "field 'payload.userId' must be a string, not null"),
        ("not json", "value is not valid JSON"),
    ])
    func rejectsWithAPreciseMessage(_ json: String, _ message: String) {
        #expect(throws: EventDecodingError(message)) { try EventEnvelope<MissionStarted>(event(json)) }
    }

    @Test func followUpIDsAreDeterministicAndDistinct() {
        let e = event("{}")
        #expect(e.followUpID(0, plugin: "p") == e.followUpID(0, plugin: "p"))
        #expect(e.followUpID(0, plugin: "p") != e.followUpID(1, plugin: "p"))
        #expect(e.followUpID(0, plugin: "p") != e.followUpID(0, plugin: "q"))
        #expect(e.followUpID(0, plugin: "p").count == 35)
    }

    @Test func outgoingEventsEncodeAsSortedEnvelopes() throws {
        struct Payload: Encodable { var balance: Int }
        let out = OutgoingEvent(id: "fu-1", type: "payment.ticket-balance-low", occurredAt: Date(timeIntervalSince1970: 0),
                                source: "payment", subject: "u-1", payload: Payload(balance: 1))
        #expect(String(decoding: try out.encoded(), as: UTF8.self)
            == #"{"eventId":"fu-1","eventType":"payment.ticket-balance-low","occurredAt":"1970-01-01T00:00:00.000Z","payload":{"balance":1},"source":"payment","subject":"u-1"}"#)
    }
}

@Suite struct PluginSettingsTests {
    @Test func zeroAndOneAreIntegersNotBooleans() throws {
        let settings = try PluginSettings(json: #"{"zero":0,"one":1,"yes":true,"no":false,"ratio":0.5}"#)
        #expect(try settings.int("zero") == 0)
        #expect(try settings.int("one") == 1)
        #expect(try settings.bool("yes") == true)
        #expect(try settings.bool("no") == false)
        #expect(throws: SettingsError.self) { try settings.int("yes") }
        #expect(throws: SettingsError.self) { try settings.bool("one") }
        #expect(throws: SettingsError.self) { try settings.int("ratio") }
        #expect(try settings.double("ratio") == 0.5)
    }
}

// TestHost's rollback for transactional plugins is exercised by the service
// plugins' own tests: one image registers one plugin type, so a second type
// cannot be registered in this test binary.
