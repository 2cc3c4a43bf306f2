import EventdPluginTesting
import Foundation
import MyPlugin
import Testing

@Suite struct MyPluginTests {
    /// A `mission.completed` JSON envelope of `user`, id `id`.
    func completed(_ id: String, user: String = "user-1", payload: String? = nil) -> Event {
        let body = payload ?? #"{"userId":"\#(user)","missionId":"m-\#(id)","resultKey":"r","durationSeconds":60}"#
        let envelope = #"{"eventId":"\#(id)","eventType":"mission.completed","occurredAt":"2026-12-01T10:00:00Z","#
            + #""source":"mission-service","subject":"\#(user)","payload":\#(body)}"#
        return Event(topic: "mission-events", key: Array(user.utf8), value: Array(envelope.utf8),
                     name: "mission.completed", id: id, consumerGroup: "my-plugin-group")
    }

    func json(_ record: ProducedEvent) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(record.valueString.utf8)) as? [String: Any])
    }

    @Test func rewardsEveryThirdCompletionWithADeterministicFollowUp() throws {
        let host = TestHost()
        try host.load(devtripEventdPluginV1(), settings: #"{"output_topic":"rewards"}"#)
        for n in 1...6 { #expect(host.handle(completed("e-\(n)")) == .ok) }
        #expect(host.stateString("completed/user-1") == "6")
        #expect(host.produced.map(\.topic) == ["rewards", "rewards"])
        let first = try json(host.produced[0])
        #expect(first["eventType"] as? String == "reward.granted")
        #expect(first["causationId"] as? String == "e-3")
        #expect(first["eventId"] as? String == completed("e-3").followUpID(0, plugin: "my-plugin"))
        #expect((first["payload"] as? [String: Any])?["completedMissions"] as? Int == 3)
        #expect(host.produced[0].key == Array("user-1".utf8))
    }

    @Test func rejectsABadPayloadAndChangesNothing() throws {
        let host = TestHost()
        try host.load(devtripEventdPluginV1())
        guard case .reject(let reason) = host.handle(completed("bad", payload: #"{"missionId":"m"}"#)) else {
            Issue.record("a payload without userId is rejected")
            return
        }
        #expect(reason == "missing field 'payload.userId'")
        #expect(host.handle(completed("empty", user: "")) == .reject("field 'payload.userId' must not be empty"))
        #expect(host.stateString("completed/") == nil && host.produced.isEmpty)
    }

    @Test func theLedgerSkipsARedeliveredEvent() throws {
        let host = TestHost()
        host.emulatesLedger = true  // as the daemon does: once per event id and consumer group
        try host.load(devtripEventdPluginV1())
        for _ in 1...3 { #expect(host.handle(completed("e-1")) == .ok) }
        #expect(host.stateString("completed/user-1") == "1")
        #expect(host.duplicates == 2)
    }

    @Test func settingsAreChecked() throws {
        #expect(throws: TestHostError.self) { try TestHost().load(devtripEventdPluginV1(), settings: #"{"every":0}"#) }
        let host = TestHost()
        try host.load(devtripEventdPluginV1(), settings: #"{"every":1}"#)
        #expect(host.handle(completed("e-1")) == .ok && host.produced.count == 1)
        #expect(host.descriptor.flags & DTE_PLUGIN_TRANSACTIONAL != 0)
        #expect(host.claims() == ["mission.completed@my-plugin-group"])
    }
}
