import Echo
import EventdPluginTesting
import Testing

@Suite struct EchoPluginTests {
    let event = Event(topic: "mission-events", partition: 2, offset: 7, key: Array("user-1".utf8),
                      value: Array(#"{"eventId":"e-1"}"#.utf8), headers: [Header("ce_id", "e-1")],
                      name: "mission.started", id: "e-1", consumerGroup: "echo-group")

    @Test func republishesValueKeyAndHeadersUnchangedWithItsOwnHeaders() throws {
        let host = TestHost()
        try host.load(devtripEventdPluginV1())
        #expect(host.handle(event) == .ok)
        #expect(host.produced.count == 1)
        let out = try #require(host.produced.first)
        #expect(out.topic == "echo-events")
        #expect(out.key == Array("user-1".utf8))
        #expect(out.value == event.value)
        #expect(out.header("ce_id") == "e-1")
        #expect(out.header("x-echo-plugin") == "echo")
        #expect(out.header("x-echo-plugin-version") == EchoPlugin.version)
        #expect(out.header("x-echo-event") == "mission.started")
    }

    @Test func outputTopicComesFromSettingsAndIsNotEchoedAgain() throws {
        let host = TestHost()
        try host.load(devtripEventdPluginV1(), settings: #"{"output_topic":"mirror"}"#)
        var own = event
        own.topic = "mirror"
        #expect(host.handle(own) == .ok)
        #expect(host.produced.isEmpty)
        #expect(host.handle(event) == .ok)
        #expect(host.produced.map(\.topic) == ["mirror"])
    }

    @Test func failedProduceIsRetriedNotLost() throws {
        let host = TestHost()
        try host.load(devtripEventdPluginV1())
        host.failProduce = -3
        guard case .retry(let reason) = host.handle(event) else { Issue.record("expected retry"); return }
        #expect(reason.contains("echo-events"))
    }

    @Test func subscribesWithAWildcard() throws {
        let host = TestHost()
        try host.load(devtripEventdPluginV1())
        #expect(String(cString: host.descriptor.subscriptions[0].event_name) == "*")
        #expect(String(cString: host.descriptor.subscriptions[0].consumer_group) == "echo-group")
    }

    @Test func emptyOutputTopicRefusesInit() {
        #expect(throws: TestHostError.self) { try TestHost().load(devtripEventdPluginV1(), settings: #"{"output_topic":""}"#) }
    }
}
