import EventdPluginTesting
import Foundation
@testable import Mission
import Testing

@Suite struct ResourceCreatedTests {
    @Test func activatesTheEnvironmentAndMakesTheMissionStartable() throws {
        let host = try loadedHost()
        #expect(host.handle(registered()) == .ok)
        #expect(try host.mission("intro-1")?.status == "assigned")
        host.produced.removeAll()
        let source = resourceCreated("e-r1", mission: "intro-1", resource: "r-7", at: "2024-05-01T10:05:00Z")
        #expect(host.handle(source) == .ok)

        let record = try #require(try host.mission("intro-1"))
        #expect(record.status == "startable")
        #expect(record.environment == Environment(resourceId: "r-7", active: true, activatedAt: "2024-05-01T10:05:00.000Z"))
        #expect(record.websocket == Websocket(enabled: true, path: "/ws/environments/r-7"))
        #expect(record.assignedAt == "2024-05-01T10:00:00.000Z")
        let progress = try #require(try host.progress())
        #expect(progress.missions["intro-1"] == "startable")
        #expect(progress.recentEvents == ["e-reg", "e-r1"])

        let out = try produced(host)
        #expect(out.count == 1)
        expected.notification(out[0], of: source, index: 0, template: "mission.environment-ready", data: [
            "missionId": "intro-1", "resourceId": "r-7", "websocketPath": "/ws/environments/r-7",
        ], occurredAt: "2024-05-01T10:05:00.000Z")
    }

    @Test func theWebsocketPathComesFromSettings() throws {
        let host = try loadedHost(#"{"websocket_path":"wss://missions.devtrip.example/ws"}"#)
        #expect(host.handle(resourceCreated("e-r1", resource: "r-1")) == .ok)
        #expect(try host.mission("intro-1")?.websocket?.path == "wss://missions.devtrip.example/ws/r-1")
        #expect(try produced(host)[0].data["websocketPath"] == "wss://missions.devtrip.example/ws/r-1")
    }

    @Test func aNewResourceReplacesTheOldEnvironmentAndReopensAFinishedMission() throws {
        let host = try loadedHost()
        #expect(host.handle(resourceCreated("e-r1", resource: "r-1")) == .ok)
        #expect(host.handle(evaluated("e-v1", score: 30, passed: false)) == .ok)
        #expect(host.handle(resourceCreated("e-r2", resource: "r-2")) == .ok)
        let record = try #require(try host.mission("intro-1"))
        #expect(record.status == "startable" && record.environment?.resourceId == "r-2")
        #expect(record.evaluations.count == 1)
        #expect(try host.progress()?.missions["intro-1"] == "startable")
        #expect(host.logs.contains { $0.message == "mission environment replaced" && $0.fields["old_resource_id"] == "r-1" })
    }

    @Test func anEnvironmentForAMissionNotGrantedIsActivatedWithAWarning() throws {
        let host = try loadedHost()
        #expect(host.handle(registered()) == .ok)
        #expect(host.handle(resourceCreated("e-r1", mission: "advanced-1")) == .ok)
        #expect(try host.mission("advanced-1")?.status == "startable")
        #expect(try host.progress()?.access == ["intro-1", "intro-2"])
        #expect(host.logs.contains { $0.message == "environment created for a mission the user was not granted" })
    }

    @Test func aRedeliveredResourceEventHasNoEffect() throws {
        try loadedHost().expectRedeliveryHasNoEffect(resourceCreated("e-r1"), produced: 1)
    }

    @Test func aBadTimestampIsRejected() throws {
        try loadedHost().expectRejected(resourceCreated("e-r1", at: "now"),
                                        "resource.created: field 'occurredAt' must be an RFC 3339 timestamp, got 'now'")
    }

    @Test(arguments: [
        (["userId": "u-1", "missionId": "intro-1"], "resource.created: missing field 'payload.resourceId'"),
        (["userId": "u-1", "missionId": "intro-1", "resourceId": 42], "resource.created: field 'payload.resourceId' must be a string"),
        (["userId": "u-1", "missionId": "", "resourceId": "r-1"], "resource.created: field 'payload.missionId' must not be empty"),
        (["userId": "u-1", "missionId": "intro-1", "resourceId": ""], "resource.created: field 'payload.resourceId' must not be empty"),
        (["missionId": "intro-1", "resourceId": "r-1"], "resource.created: missing field 'payload.userId'"),
    ] as [(Payload, String)])
    func malformedPayloadsAreRejected(payload: Payload, message: String) throws {
        try loadedHost().expectRejected(event("resource.created", id: "e-bad", payload: payload.fields), message)
    }
}
