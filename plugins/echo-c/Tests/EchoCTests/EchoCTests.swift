import EchoC
import EventdPluginTesting
import Testing

@Suite struct EchoCTests {
    let event = Event(topic: "mission.completed", key: Array("user-9".utf8), value: Array(#"{"eventId":"m-1"}"#.utf8),
                      headers: [Header("ce_type", "mission.completed")], name: "mission.completed", id: "m-1",
                      consumerGroup: "echo-c-group")

    @Test func republishesWithPluginHeaders() throws {
        let host = TestHost()
        try host.load(UnsafeRawPointer(devtrip_eventd_plugin_v1()))
        #expect(host.handle(event) == .ok)
        let out = try #require(host.produced.first)
        #expect(out.topic == "echo-events")
        #expect(out.key == event.key && out.value == event.value)
        #expect(out.header("ce_type") == "mission.completed")
        #expect(out.header("x-echo-plugin") == "echo-c")
        #expect(out.header("x-echo-plugin-version") == "1.0.0")
        host.shutdown()
    }

    @Test func claimsOneEventName() throws {
        let host = TestHost()
        try host.load(UnsafeRawPointer(devtrip_eventd_plugin_v1()))
        #expect(host.descriptor.subscription_count == 1)
        #expect(String(cString: host.descriptor.subscriptions[0].event_name) == "mission.completed")
    }

    @Test func readsOutputTopicAndRefusesABadOne() throws {
        let host = TestHost()
        try host.load(UnsafeRawPointer(devtrip_eventd_plugin_v1()), settings: #"{"output_topic":"mirror"}"#)
        #expect(host.handle(event) == .ok)
        #expect(host.produced.map(\.topic) == ["mirror"])
        #expect(throws: TestHostError.self) {
            try TestHost().load(UnsafeRawPointer(devtrip_eventd_plugin_v1()), settings: #"{"output_topic":42}"#)
        }
    }

    @Test func produceFailureIsARetry() throws {
        let host = TestHost()
        try host.load(UnsafeRawPointer(devtrip_eventd_plugin_v1()))
        host.failProduce = -3
        #expect(host.handle(event) == .retry("produce to echo-events failed (-3)"))
    }

    @Test func checksSettingsWithoutAnInstance() throws {
        let check = try #require(devtrip_eventd_plugin_v1().pointee.check_settings)
        func verdict(_ json: String) -> (rc: Int32, reason: String) {
            var err = [CChar](repeating: 0, count: 256)
            let rc = check(json, json.utf8.count, &err, err.count)
            return (rc, err.withUnsafeBytes { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) })
        }
        #expect(verdict(#"{"output_topic":"mirror"}"#).rc == 0)
        #expect(verdict("{}").rc == 0)
        let bad = verdict(#"{"output_topic":42}"#)
        #expect(bad.rc != 0)
        #expect(bad.reason == "setting 'output_topic' must be a non-empty string without escapes")
    }
}
