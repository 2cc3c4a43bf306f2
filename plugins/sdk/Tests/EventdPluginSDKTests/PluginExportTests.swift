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
