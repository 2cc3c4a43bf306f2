import EventdPluginTesting
import Foundation
@testable import Mission
import Testing

@Suite struct UserRegisteredTests {
    @Test func initialisesProgressAccessDirectoryAndTheGuideMission() throws {
        let host = try loadedHost()
        #expect(host.state.isEmpty)
        let source = registered(plan: "basic")
        #expect(host.handle(source) == .ok)

        let progress = try #require(try host.progress())
        #expect(progress.registered && progress.registeredAt == "2024-05-01T10:00:00.000Z" && progress.plan == "basic")
        #expect(progress.access == ["intro-1", "intro-2"])
        #expect(progress.guideMission == "intro-1")
        #expect(progress.missions == ["intro-1": "assigned"])
        #expect(progress.passed.isEmpty && progress.level == 0 && progress.recommendation == nil)
        #expect(progress.directory == "users/u-1/")
        #expect(progress.recentEvents == ["e-reg"])

        #expect(try host.directory() == DataDirectory(userId: userId, path: "users/u-1/", createdAt: "2024-05-01T10:00:00.000Z"))
        var guide = MissionRecord(userId: userId, missionId: "intro-1", status: "assigned")
        guide.assignedAt = "2024-05-01T10:00:00.000Z"
        #expect(try host.mission("intro-1") == guide)
        #expect(host.keys == ["directory/u-1", "mission/u-1/intro-1", "progress/u-1"])

        let out = try produced(host)
        #expect(out.count == 1)
        expected.notification(out[0], of: source, index: 0, template: "mission.guide-assigned", data: [
            "missionId": "intro-1", "displayName": "Kim", "access": "intro-1,intro-2", "directory": "users/u-1/",
        ])
    }

    @Test func missionsDirectoryAndTopicComeFromSettings() throws {
        let host = try loadedHost(#"{"default_missions":["a","b"],"guide_mission":"tour","data_root":"/data/users","notification_topic":"mail"}"#)
        #expect(host.handle(registered()) == .ok)
        let progress = try #require(try host.progress())
        #expect(progress.access == ["a", "b", "tour"] && progress.guideMission == "tour")
        #expect(try host.mission("tour")?.status == "assigned")
        #expect(try host.directory()?.path == "/data/users/u-1/")
        let out = try produced(host)
        #expect(out.map(\.topic) == ["mail"])
        #expect(out[0].data["access"] == "a,b,tour" && out[0].data["missionId"] == "tour")
    }

    @Test func anEmptyGuideAssignsNothingAndNotifiesNobody() throws {
        let host = try loadedHost(#"{"guide_mission":""}"#)
        #expect(host.handle(registered()) == .ok)
        let progress = try #require(try host.progress())
        #expect(progress.guideMission == nil && progress.missions.isEmpty && progress.access == ["intro-1", "intro-2"])
        #expect(host.keys == ["directory/u-1", "progress/u-1"])
        #expect(host.produced.isEmpty)
    }

    @Test func progressStartedByEarlierEventsIsKept() throws {
        let host = try loadedHost()
        #expect(host.handle(resourceCreated("e-r1", mission: "intro-1")) == .ok)
        #expect(host.handle(evaluated("e-v1", mission: "basics-1", score: 90)) == .ok)
        host.produced.removeAll()
        #expect(host.handle(registered()) == .ok)
        let progress = try #require(try host.progress())
        #expect(progress.registered)
        #expect(progress.access == ["basics-2", "intro-1", "intro-2"])     // basics-2 recommended earlier
        #expect(progress.missions == ["intro-1": "startable", "basics-1": "passed"])
        #expect(progress.passed == ["basics-1"] && progress.level == 1)
        #expect(try host.mission("intro-1")?.status == "startable")          // the guide record keeps its environment
        #expect(try host.mission("intro-1")?.environment?.resourceId == "r-1")
        #expect(try produced(host)[0].data["access"] == "basics-2,intro-1,intro-2")
    }

    @Test func aReplayAfterAPartialWriteKeepsWhatWasWritten() throws {
        let host = try loadedHost()
        // As if a first attempt wrote the directory and died before the progress.
        let earlier = DataDirectory(userId: userId, path: "users/u-1/", createdAt: "2024-04-30T00:00:00.000Z")
        let encoder = JSONEncoder()
        host.state[Array("directory/u-1".utf8)] = Array(try encoder.encode(earlier))
        #expect(host.handle(registered()) == .ok)
        #expect(try host.directory() == earlier)
        #expect(try host.progress()?.directory == "users/u-1/")
    }

    @Test func aSecondRegistrationChangesNothing() throws {
        let host = try loadedHost()
        #expect(host.handle(registered("e-reg", plan: "pro")) == .ok)
        let directory = host.stateString("directory/u-1")
        #expect(host.handle(registered("e-reg-2", plan: "basic", at: "2024-06-01T00:00:00Z")) == .ok)
        let progress = try #require(try host.progress())
        #expect(progress.plan == "pro" && progress.registeredAt == "2024-05-01T10:00:00.000Z")
        #expect(progress.recentEvents == ["e-reg", "e-reg-2"])
        #expect(host.stateString("directory/u-1") == directory)
        #expect(host.produced.count == 1)
        #expect(host.logs.contains { $0.message == "user registered again; progress unchanged" })
    }

    @Test func aRedeliveredRegistrationHasNoEffect() throws {
        let host = try loadedHost()
        host.expectRedeliveryHasNoEffect(registered(), produced: 1)
        #expect(host.logs.contains { $0.message == "event already applied" })
    }

    @Test func aBadTimestampIsRejected() throws {
        try loadedHost().expectRejected(registered(at: "2024-05-01"),
                                        "user.registered: field 'occurredAt' must be an RFC 3339 timestamp, got '2024-05-01'")
    }

    @Test(arguments: [
        (["userId": "u-1", "email": "kim@example.com", "plan": "pro"], "user.registered: missing field 'payload.displayName'"),
        (["userId": "u-1", "email": "kim@example.com", "displayName": "Kim", "plan": ["pro"]], "user.registered: field 'payload.plan' must be a string"),
        (["userId": "u-1", "email": "kim@example.com", "displayName": "Kim", "plan": "enterprise"],
         "user.registered: field 'payload.plan' must be one of basic, pro, premium, got 'enterprise'"),
        (["userId": 1, "email": "kim@example.com", "displayName": "Kim", "plan": "pro"], "user.registered: field 'payload.userId' must be a string"),
        (["userId": "u-1", "email": "", "displayName": "Kim", "plan": "pro"], "user.registered: field 'payload.email' must not be empty"),
    ] as [(Payload, String)])
    func malformedPayloadsAreRejected(payload: Payload, message: String) throws {
        try loadedHost().expectRejected(event("user.registered", id: "e-bad", payload: payload.fields), message)
    }
}
