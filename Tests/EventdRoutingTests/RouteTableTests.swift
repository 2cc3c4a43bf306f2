import EventdRouting
import Testing

/// The catalog's awkward spots, as docs/catalog-mapping.md lists them.
let testCatalog = try! EventCatalog([
    CatalogEntry(name: "evaluation.retry.requested", topics: ["evaluation-events"], aliases: ["evaluation.retry-requested"]),
    CatalogEntry(name: "user.registered", topics: ["auth-events", "user-events"]),
    CatalogEntry(name: "mission.completed", topics: ["mission.completed", "mission-events"]),
    CatalogEntry(name: "payment.subscription-changed", topics: ["payment-events", "subscription-events"], aliases: ["subscription.changed"]),
    CatalogEntry(name: "mission.started", topics: ["mission-events"]),
])

@Suite struct RouteTableTests {
    @Test func aliasesResolveToTheCanonicalName() throws {
        #expect(testCatalog.event(named: "evaluation.retry-requested")?.name == "evaluation.retry.requested")
        #expect(testCatalog.event(named: "subscription.changed")?.name == "payment.subscription-changed")
        let bytes = Array("subscription.changed".utf8)
        #expect(bytes.withUnsafeBytes { testCatalog.event(named: $0) }?.name == "payment.subscription-changed")
        #expect(testCatalog.event(named: "no.such") == nil)
    }

    @Test func anAliasClaimedTwiceIsRefused() {
        #expect(throws: CatalogError.self) {
            try EventCatalog([CatalogEntry(name: "a", topics: ["t"], aliases: ["x"]), CatalogEntry(name: "b", topics: ["t"], aliases: ["x"])])
        }
    }

    @Test func topicBindingsComeFromClaims() throws {
        // The mission service reads user.registered from user-events only, by configuration.
        let table = try RouteTable(catalog: testCatalog, claims: [
            RouteClaim(event: "user.registered", topics: ["user-events"], target: "mission"),
            RouteClaim(event: "payment.subscription-changed", topics: ["payment-events", "subscription-events"], target: "user"),
        ])
        #expect(table.topics == ["payment-events", "subscription-events", "user-events"])
        let registered = try #require(testCatalog.event(named: "user.registered"))
        #expect(table.targets(topic: try #require(table.topic("user-events")), event: registered) == ["mission"])
        #expect(table.topic("auth-events") == nil)
        let changed = try #require(testCatalog.event(named: "subscription.changed"))
        #expect(table.targets(topic: try #require(table.topic("subscription-events")), event: changed) == ["user"])
        // An event nobody in this group claims has no targets.
        #expect(table.targets(topic: try #require(table.topic("user-events")), event: changed).isEmpty)
    }

    @Test func wildcardTakesOnlyEventsTheCatalogPutsOnThatTopic() throws {
        let table = try RouteTable(catalog: testCatalog, claims: [
            RouteClaim(event: "*", topics: ["mission-events", "mission.completed"], target: "echo"),
        ])
        let started = try #require(testCatalog.event(named: "mission.started"))
        let registered = try #require(testCatalog.event(named: "user.registered"))
        #expect(table.targets(topic: try #require(table.topic("mission-events")), event: started) == ["echo"])
        #expect(table.targets(topic: try #require(table.topic("mission-events")), event: registered).isEmpty)
        #expect(table.targets(topic: try #require(table.topic("mission.completed")), event: started).isEmpty)
    }

    @Test func singleEventTopicsNameTheirEvent() throws {
        let table = try RouteTable(catalog: testCatalog, claims: [
            RouteClaim(event: "mission.completed", topics: ["mission.completed", "mission-events"], target: 1),
        ])
        #expect(table.singleEvent(onTopic: try #require(table.topic("mission.completed")))?.name == "mission.completed")
        #expect(table.singleEvent(onTopic: try #require(table.topic("mission-events"))) == nil)
    }

    @Test func aClaimOnAnUnknownEventIsRefused() {
        #expect(throws: CatalogError.self) {
            try RouteTable(catalog: testCatalog, claims: [RouteClaim(event: "nope", topics: ["t"], target: 0)])
        }
    }
}
