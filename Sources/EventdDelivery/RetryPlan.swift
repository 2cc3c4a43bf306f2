// Which retry policy each handler of a group runs under, and the tier topics the group reads.
import EventdConfig
import EventdPluginHost
import EventdRouting

/// The retry policies of one group's handlers and the tier topics they use.
public struct RetryPlan: @unchecked Sendable, Equatable {
    /// Per catalog event index, the policy of each plugin handling it (a short list, scanned).
    private var byEvent: [[(plugin: ObjectIdentifier, policy: RetryPolicy)]] = []
    /// Plugins with a handler that keeps per-key order (they have parked-key state).
    private(set) var orderedPlugins: [PluginInstance] = []
    /// Tier topic -> the source topic it retries.
    private(set) var tierTopics: [String: String] = [:]

    /// The policy of `plugin`'s handler of the event with catalog index `event`.
    @inline(__always) func policy(_ plugin: PluginInstance, event: Int) -> RetryPolicy {
        if event < byEvent.count {
            let id = ObjectIdentifier(plugin)
            for entry in byEvent[event] where entry.plugin == id { return entry.policy }
        }
        return RetryPolicy()
    }

    /// The plan of a group's route claims under `configuration`.
    public init(claims: [RouteClaim<PluginInstance>], catalog: EventCatalog, configuration: DaemonConfiguration) {
        byEvent = Array(repeating: [], count: catalog.entries.count)
        var ordered: [ObjectIdentifier: PluginInstance] = [:]
        for claim in claims {
            let plugin = claim.target
            let events = claim.event == "*" ? catalog.entries.map(\.name) : [claim.event]
            var tiers = Set<RetryTier>()
            for name in events {
                guard let event = catalog.event(named: name) else { continue }
                let policy = configuration.retryPolicy(plugin: plugin.name, event: event.name)
                if !byEvent[event.index].contains(where: { $0.plugin == ObjectIdentifier(plugin) }) {
                    byEvent[event.index].append((ObjectIdentifier(plugin), policy))
                }
                tiers.formUnion(policy.tiers)
                if policy.keepKeyOrder && !policy.tiers.isEmpty { ordered[ObjectIdentifier(plugin)] = plugin }
            }
            for topic in claim.topics {
                for tier in tiers { tierTopics[tier.topic(for: topic)] = topic }
            }
        }
        orderedPlugins = ordered.values.sorted { $0.name < $1.name }
    }

    public init() {}

    public static func == (a: RetryPlan, b: RetryPlan) -> Bool {
        a.tierTopics == b.tierTopics && a.orderedPlugins.map(ObjectIdentifier.init) == b.orderedPlugins.map(ObjectIdentifier.init)
            && a.byEvent.count == b.byEvent.count
            && zip(a.byEvent, b.byEvent).allSatisfy { x, y in
                x.count == y.count && zip(x, y).allSatisfy { $0.plugin == $1.plugin && $0.policy == $1.policy }
            }
    }
}
