import EventdPluginTesting
import MyPlugin
import Testing

@Suite struct MyPluginTests {
    let started = Event(topic: "mission-events", key: Array("user-1".utf8), value: Array(#"{"eventId":"e-1"}"#.utf8),
                        headers: [], name: "mission.started", id: "e-1", consumerGroup: "my-plugin-group")

    @Test func announcesOnlyTheFirstStartOfAUser() throws {
        let host = TestHost()
        try host.load(devtripEventdPluginV1(), settings: #"{"output_topic":"firsts"}"#)
        #expect(host.handle(started) == .ok)
        #expect(host.handle(started) == .ok)
        #expect(host.produced.map(\.topic) == ["firsts"])
        #expect(host.stateString("started/user-1") == "2")
    }

    @Test func claimsWhatItsHandlerTableNames() throws {
        let host = TestHost()
        try host.load(devtripEventdPluginV1())
        #expect(host.claims() == ["mission.started@my-plugin-group"])
        #expect(host.handle(Event(topic: "t", value: nil, name: "mission.paused", id: "e-2", consumerGroup: "g"))
                == .reject("my-plugin does not handle event 'mission.paused'"))
    }
}
