// The handler table (subscriptions and dispatch from one list), service-grade
// lines with their two decoding rule sets, and the settings readers they use.
import EventdCatalog
import EventdPluginSDK
import EventdPluginTesting
import EventdServiceKit
import Foundation
import Testing

final class TablePlugin: HandlerTablePlugin {
    static let name = "table"
    static let version = "1.0.0"
    static let handlers: [Handler<TablePlugin>] = [
        .service("mission.started", group: "g-1", TablePlugin.started),
        .service("resource.created", group: "g-2", rules: .nonEmptyIds, TablePlugin.created),
        Handler("mission.paused", group: "g-1") { _, event in .retry("paused \(event.id)") },
    ]
    let host: PluginHost
    init(host: PluginHost, settings: PluginSettings) throws { self.host = host }

    func started(_ source: Incoming<MissionStarted>) throws {
        try host.produce(topic: "out", key: nil, value: Array(source.eventId.utf8), headers: [])
        try host.setState("started/\(source.userId)", String(source.payload.ticketCost))
    }

    func created(_ source: Incoming<ResourceCreated>) throws(HandlingFailure) {
        if source.payload.resourceId == "gone" { throw .retry("resource 'gone' not there yet") }
    }
}

@Suite struct HandlerTableTests {
    /// The plugin on a test host (driven directly: this test binary's one registration is another plugin's).
    func loaded() throws -> (TestHost, TablePlugin) {
        let host = TestHost()
        return (host, try TablePlugin(host: host.pluginHost(), settings: PluginSettings()))
    }

    func send(_ plugin: TablePlugin, _ name: String, subject: String? = "u-1", _ payload: [String: Any]) -> Outcome {
        plugin.handle(envelopeEvent(name, id: "e-1", at: TestTime(0).text, subject: subject, userId: "u-1", group: nil,
                                  payload: payload, claims: TablePlugin.subscriptions))
    }

    @Test func subscriptionsComeFromTheTableInOrder() throws {
        #expect(TablePlugin.subscriptions == [Subscription("mission.started", group: "g-1"), Subscription("resource.created", group: "g-2"),
                                              Subscription("mission.paused", group: "g-1")])
    }

    @Test func eachEventRunsItsLineAndOthersAreUnhandled() throws {
        let (host, plugin) = try loaded()
        #expect(send(plugin, "mission.started", ["userId": "u-1", "missionId": "m-1", "ticketCost": 2]) == .ok)
        #expect(host.stateString("started/u-1") == "2")
        #expect(send(plugin, "mission.paused", ["userId": "u-1", "missionId": "m-1"]) == .retry("paused e-1"))
        #expect(send(plugin, "mission.resumed", [:]) == .reject("table does not handle event 'mission.resumed'"))
    }

    @Test func serviceLinesMapWhatTheHandlerThrows() throws {
        let (host, plugin) = try loaded()
        #expect(send(plugin, "mission.started", ["userId": "u-1", "missionId": "m-1", "ticketCost": -1])
                == .reject("mission.started: field 'payload.ticketCost' must not be negative, got -1"))
        host.failProduce = -3
        #expect(send(plugin, "mission.started", ["userId": "u-1", "missionId": "m-1", "ticketCost": 7])
                == .retry("mission.started: host produce failed (code -3)"))
        #expect(send(plugin, "resource.created", ["userId": "u-1", "missionId": "m-1", "resourceId": "gone"])
                == .retry("resource 'gone' not there yet"))
    }

    @Test func theTwoRuleSetsDifferOnSlashesAndOnTheSubjectWording() throws {
        let (_, plugin) = try loaded()
        #expect(send(plugin, "mission.started", ["userId": "u-1", "missionId": "m/1", "ticketCost": 1])
                == .reject("mission.started: field 'payload.missionId' must not contain '/', got 'm/1'"))
        #expect(send(plugin, "mission.started", subject: "u-2", ["userId": "u-1", "missionId": "m-1", "ticketCost": 1])
                == .reject("mission.started: envelope subject 'u-2' does not match payload.userId 'u-1'"))
        #expect(send(plugin, "resource.created", ["userId": "u-1", "missionId": "m/1", "resourceId": "r-1"]) == .ok)
        #expect(send(plugin, "resource.created", subject: "u-2", ["userId": "u-1", "missionId": "m-1", "resourceId": "r-1"])
                == .reject("resource.created: subject 'u-2' is not payload.userId 'u-1'"))
    }
}

@Suite struct ServiceSettingsTests {
    @Test func integersAreReadByTheSDKWithoutAWorkaround() throws {
        let s = try PluginSettings(json: #"{"a":0,"b":1,"c":true,"d":1.5,"e":1e16,"f":[3,1,3],"g":[1,false]}"#)
        #expect(try s.int("a") == 0 && s.int("b") == 1)
        #expect(try s.int("a", default: 5, minimum: 0) == 0)
        for key in ["c", "d", "e"] { #expect(throws: SettingsError.self) { try s.int(key) } }
        #expect(try s.integers("f", default: [], minimum: 1) == [1, 3])
        #expect(throws: SettingsError.self) { try s.ints("g") }
        #expect(throws: SettingsError.self) { try s.int("b", default: 5, minimum: 2) }
    }
}
