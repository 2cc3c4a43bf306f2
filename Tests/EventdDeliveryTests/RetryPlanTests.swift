@testable import EventdDelivery
import EventdConfig
import EventdPluginHost
import EventdRouting
import Testing

@Suite struct RetryPlanTests {
    static let daemon = """
        [delivery]
        attempts = 4
        tiers = ["1s", "30s"]
        """

    func configuration() throws -> DaemonConfiguration {
        var config = try ConfigurationLoader.parseDaemon(text: Self.daemon, file: "/cfg/eventd.toml")
        config.plugins["tx-counter"] = try ConfigurationLoader.parsePlugin(text: """
            [retry.handlers."mission.completed"]
            tiers = ["5m"]
            keep_key_order = false
            attempts = 1
            """, file: "/cfg/plugins.d/tx-counter.toml", catalog: Fixtures.catalog)
        return config
    }

    func claims(_ plugins: [PluginInstance]) -> [RouteClaim<PluginInstance>] {
        plugins.flatMap { plugin in
            ["mission.started", "mission.completed"].map { RouteClaim(event: $0, topics: ["mission-events"], target: plugin) }
        }
    }

    @Test func eachHandlerGetsItsOwnPolicyAndTheGroupReadsEveryTierTopicItUses() throws {
        let plugins = try Fixtures.load("counter", "tx-counter")
        let (counter, tx) = (plugins[0], plugins[1])
        let config = try configuration()
        let plan = RetryPlan(claims: claims(plugins), catalog: Fixtures.catalog, configuration: config)
        let started = try #require(Fixtures.catalog.event(named: "mission.started"))
        let completed = try #require(Fixtures.catalog.event(named: "mission.completed"))
        let registered = try #require(Fixtures.catalog.event(named: "user.registered"))

        #expect(plan.policy(counter, event: started.index) == config.delivery.retry)
        #expect(plan.policy(counter, event: completed.index).attempts == 4)
        let handler = plan.policy(tx, event: completed.index)
        #expect(handler.attempts == 1 && handler.tiers.map(\.name) == ["5m"] && !handler.keepKeyOrder)
        #expect(plan.policy(tx, event: started.index).tiers.map(\.name) == ["1s", "30s"])
        // An event the plugin does not handle gets the default policy, not another handler's.
        #expect(plan.policy(tx, event: registered.index) == RetryPolicy())

        #expect(plan.tierTopics == [
            "mission-events.retry.1s": "mission-events", "mission-events.retry.30s": "mission-events",
            "mission-events.retry.5m": "mission-events",
        ])
        // Both keep key order on a tiered handler (tx-counter through mission.started).
        #expect(plan.orderedPlugins.map(\.name) == ["counter", "tx-counter"])
    }

    @Test func handlersWithoutTiersOrKeyOrderHaveNoParkedKeys() throws {
        let plugins = try Fixtures.load("counter")
        var config = try ConfigurationLoader.parseDaemon(text: "[delivery]\ntiers = []\n", file: "/cfg/eventd.toml")
        var plan = RetryPlan(claims: claims(plugins), catalog: Fixtures.catalog, configuration: config)
        #expect(plan.tierTopics.isEmpty && plan.orderedPlugins.isEmpty)

        config = try ConfigurationLoader.parseDaemon(text: "[delivery]\nkeep_key_order = false\n", file: "/cfg/eventd.toml")
        plan = RetryPlan(claims: claims(plugins), catalog: Fixtures.catalog, configuration: config)
        #expect(plan.tierTopics.count == 3 && plan.orderedPlugins.isEmpty)
    }

    @Test func plansAreEqualOnlyForTheSamePoliciesOfTheSameInstances() throws {
        let first = try Fixtures.load("counter")
        let second = try Fixtures.load("counter")
        let config = try configuration()
        let a = RetryPlan(claims: claims(first), catalog: Fixtures.catalog, configuration: config)
        #expect(a == RetryPlan(claims: claims(first), catalog: Fixtures.catalog, configuration: config))
        // Another instance of the same plugin (a reload) is another plan: the group installs it.
        #expect(a != RetryPlan(claims: claims(second), catalog: Fixtures.catalog, configuration: config))
        let other = try ConfigurationLoader.parseDaemon(text: "[delivery]\nattempts = 2\n", file: "/cfg/eventd.toml")
        #expect(a != RetryPlan(claims: claims(first), catalog: Fixtures.catalog, configuration: other))
    }
}
