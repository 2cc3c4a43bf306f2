import EventdPluginTesting
import Foundation
@testable import Mission
import Testing

@Suite struct MissionPluginTests {
    @Test func registersTransactionalWithTheCatalogGroups() throws {
        let host = try loadedHost()
        host.expectDescriptor(name: "mission", version: "1.0.0")
        #expect(host.claims() == [
            "user.registered@mission-service-user-group",
            "evaluation.completed@mission-service-evaluation-group",
            "resource.created@mission-service-resource-group",
        ])
    }

    @Test func settingsDefaults() throws {
        let s = try MissionSettings(PluginSettings())
        #expect(s == MissionSettings())
        #expect(s.notificationTopic == "notification-events")
        #expect(s.defaultMissions == ["intro-1", "intro-2"])
        #expect(s.guideMission == "intro-1")
        #expect(s.missionOrder == ["intro-1", "intro-2", "basics-1", "basics-2", "advanced-1"])
        #expect(s.levelThresholds == [1, 3, 5])
        #expect(s.dataRoot == "users")
        #expect(s.websocketPath == "/ws/environments")
    }

    @Test func settingsAreRead() throws {
        let s = try MissionSettings(PluginSettings(json: """
            {"notification_topic":"mail","default_missions":["a"],"guide_mission":"g","mission_order":["a","b"],
             "level_thresholds":[1,2],"data_root":"/srv/data","websocket_path":"/ws"}
            """))
        #expect(s.notificationTopic == "mail" && s.defaultMissions == ["a"] && s.guideMission == "g")
        #expect(s.missionOrder == ["a", "b"] && s.levelThresholds == [1, 2])
        #expect(s.dataRoot == "/srv/data" && s.websocketPath == "/ws")
    }

    @Test(arguments: [
        (#"{"mission_order":["a","b","a"]}"#, "setting 'mission_order' lists 'a' twice"),
        (#"{"default_missions":["a",""]}"#, "setting 'default_missions' must not contain an empty mission id"),
        (#"{"default_missions":"intro-1"}"#, "setting 'default_missions' must be an array of strings"),
        (#"{"level_thresholds":[3,1]}"#, "setting 'level_thresholds' must be positive and strictly ascending"),
        (#"{"level_thresholds":[0,1]}"#, "setting 'level_thresholds' must be positive and strictly ascending"),
        (#"{"level_thresholds":[1,"3"]}"#, "setting 'level_thresholds' must be an array of integers"),
        (#"{"level_thresholds":[true]}"#, "setting 'level_thresholds' must be an array of integers"),
        (#"{"notification_topic":""}"#, "setting 'notification_topic' must not be empty"),
        (#"{"data_root":""}"#, "setting 'data_root' must not be empty"),
        (#"{"guide_mission":1}"#, "setting 'guide_mission' must be a string"),
        (#"{"missions":[]}"#, "unknown setting 'missions'"),
    ])
    func badSettingsRefuseTheLoad(settings: String, message: String) {
        do {
            _ = try loadedHost(settings)
            Issue.record("load should have failed")
        } catch {
            #expect("\(error)".hasPrefix(message), "\(error)")
        }
    }

    @Test func recommendationRule() {
        let s = MissionSettings()
        // After a pass: the next mission of the order not yet passed, wrapping around.
        #expect(s.recommendation(after: "intro-1", passed: true, passedMissions: ["intro-1"])! == ("intro-2", "next"))
        #expect(s.recommendation(after: "intro-1", passed: true, passedMissions: ["intro-1", "intro-2"])! == ("basics-1", "next"))
        #expect(s.recommendation(after: "advanced-1", passed: true, passedMissions: ["advanced-1", "intro-1"])! == ("intro-2", "next"))
        #expect(s.recommendation(after: "side-quest", passed: true, passedMissions: ["side-quest", "intro-1"])! == ("intro-2", "next"))
        #expect(s.recommendation(after: "basics-2", passed: true, passedMissions: Set(s.missionOrder)) == nil)
        // After a failure: the same mission again.
        #expect(s.recommendation(after: "basics-1", passed: false, passedMissions: [])! == ("basics-1", "retry"))
    }

    @Test func levelRule() {
        let s = MissionSettings()
        #expect((0...6).map { s.level(passedCount: $0) } == [0, 1, 1, 2, 2, 3, 3])
    }

    @Test func unknownEventIsRejected() throws {
        let host = try loadedHost()
        #expect(host.handle(rawEvent("mission.started", value: "{}")) == .reject("mission does not handle event 'mission.started'"))
    }

    @Test func envelopeErrorsAreRejectedPrecisely() throws {
        let host = try loadedHost()
        #expect(host.handle(rawEvent("resource.created", value: "[")) == .reject("resource.created: value is not valid JSON"))
        #expect(host.handle(rawEvent("resource.created", value: "")) == .reject("resource.created: the event has no value"))
        #expect(host.handle(rawEvent("resource.created", value: #"{"eventId":"e","eventType":"resource.created","payload":{}}"#))
                == .reject("resource.created: missing field 'occurredAt'"))
        #expect(host.handle(rawEvent("resource.created", value: #"{"eventId":"","eventType":"resource.created","occurredAt":"2024-05-01T10:00:00Z","payload":{}}"#))
                == .reject("resource.created: field 'eventId' must not be empty"))
        #expect(host.handle(event("resource.created", id: "e-1", subject: "u-9",
                                  payload: ["userId": userId, "missionId": "m", "resourceId": "r"])) ==
                .reject("resource.created: subject 'u-9' is not payload.userId 'u-1'"))
        #expect(host.state.isEmpty && host.produced.isEmpty)
    }

    @Test func cloudEventsBinaryRecordsAreAccepted() throws {
        let host = try loadedHost()
        let value = #"{"userId":"u-1","missionId":"intro-1","resourceId":"r-1"}"#
        let ce = Event(topic: "resource-events", key: Array(userId.utf8), value: Array(value.utf8),
                       headers: [Header("ce_id", "ce-1"), Header("ce_type", "resource.created"), Header("ce_time", t0)],
                       name: "resource.created", id: "ce-1", consumerGroup: "mission-service-resource-group")
        #expect(host.handle(ce) == .ok)
        #expect(try host.mission("intro-1")?.status == "startable")
        #expect(try produced(host).first?.eventId == ce.followUpID(0, plugin: "mission"))
    }

    @Test func aCorruptDocumentIsRejectedNotOverwritten() throws {
        let host = try loadedHost()
        host.state[Array("progress/u-1".utf8)] = Array("[]".utf8)
        guard case .reject(let reason) = host.handle(registered()) else { Issue.record("expected a reject"); return }
        #expect(reason.hasPrefix("state 'progress/u-1' is not a valid MissionProgress document"))
        #expect(host.stateString("progress/u-1") == "[]")
        #expect(host.produced.isEmpty)
    }

    @Test func aFailedProduceIsRetriedAndRedeliveryCompletesIt() throws {
        let host = try loadedHost()
        host.failProduce = -3
        #expect(host.handle(registered()) == .retry("producing notification.requested on notification-events failed: host produce failed (code -3)"))
        #expect(host.state.isEmpty)
        host.failProduce = nil
        #expect(host.handle(registered()) == .ok)
        #expect(try host.progress()?.registered == true)
        #expect(host.produced.count == 1)
    }

    @Test func aWholeJourneyProducesOnlyNotifications() throws {
        let host = try loadedHost()
        let events = [
            registered(),
            resourceCreated("e-r1", mission: "intro-1"),
            evaluated("e-v1", mission: "intro-1", score: 55, passed: false),
            resourceCreated("e-r2", mission: "intro-1", resource: "r-2"),
            evaluated("e-v2", mission: "intro-1", score: 90),
            resourceCreated("e-r3", mission: "intro-2", resource: "r-3"),
            evaluated("e-v3", mission: "intro-2", score: 100),
        ]
        for e in events { #expect(host.handle(e) == .ok) }
        let out = try produced(host)
        #expect(out.count == events.count)
        #expect(Set(out.map(\.topic)) == ["notification-events"])
        #expect(Set(out.compactMap(\.eventType)) == ["notification.requested"])
        #expect(out.map { $0.payload["template"] as? String } == [
            "mission.guide-assigned", "mission.environment-ready", "mission.result",
            "mission.environment-ready", "mission.result", "mission.environment-ready", "mission.result",
        ])
        #expect(Set(out.compactMap(\.eventId)).count == events.count)
        let progress = try #require(try host.progress())
        #expect(progress.passed == ["intro-1", "intro-2"] && progress.level == 1)
        #expect(progress.recommendation?.missionId == "basics-1")
        #expect(progress.access == ["intro-1", "intro-2", "basics-1"])
        #expect(host.keys == ["directory/u-1", "mission/u-1/intro-1", "mission/u-1/intro-2", "progress/u-1"])
    }
}
