// The read commands' reports: status, plugin-list, stats.
import EventdControl
import EventdDelivery
import EventdStore
import Foundation

let daemonVersion = "0.1.0"

extension CounterReport {
    init(_ c: GroupCounters) {
        self.init()
        (consumed, handled, skipped, retried) = (c.consumed, c.handled, c.skipped, c.retried)
        (deadLettered, redelivered, duplicates, parked) = (c.deadLettered, c.redelivered, c.duplicates, c.parked)
    }
}

extension Daemon {
    func status() -> StatusReport {
        let groups = self.groups.map { group in
            let (pausedTopics, disabled) = pauseSnapshot(group)
            return StatusReport.Group(name: group.group, topics: group.topics, pausedTopics: pausedTopics,
                                      disabledPlugins: disabled, counters: CounterReport(group.counters))
        }
        return StatusReport(
            version: daemonVersion, pid: Int(getpid()), uptimeSeconds: Int(Date().timeIntervalSince(startedAt).rounded()),
            brokers: configuration.isEmbedded ? "embedded (\(bootstrapServers))" : bootstrapServers,
            plugins: registry?.plugins.count ?? 0, refusedPlugins: registry?.refusals.count ?? 0, reloads: reloadCount,
            degraded: degradation(), groups: groups, counters: CounterReport(counters))
    }

    /// nil while the brokers are reachable; else why, since when and for how long.
    func degradation() -> StatusReport.Degradation? {
        guard let degradation = health.degradation.map({ (reason: $0.reason, since: $0.since) })
                ?? StoreHealth.shared.degradation.map({ (reason: $0.reason, since: $0.since) }) else { return nil }
        return .init(reason: degradation.reason, since: ISO8601DateFormatter().string(from: degradation.since),
                     seconds: Int(Date().timeIntervalSince(degradation.since).rounded()))
    }

    func pluginList() -> PluginListReport {
        let disabled = disabledPluginNames()
        let iso = ISO8601DateFormatter()
        let plugins = (registry?.plugins ?? []).map { plugin in
            PluginListReport.Plugin(
                name: plugin.name, version: plugin.version, state: disabled.contains(plugin.name) ? "disabled" : "enabled",
                path: plugin.image.sourcePath, loadedAt: iso.string(from: plugin.loadedAt), sharesClaims: plugin.image.sharesClaims,
                claims: plugin.claims.map { .init(event: $0.event, group: $0.group) })
        }
        let refused = (registry?.refusals ?? []).map { RefusedFile(path: $0.path, reason: $0.refusal.description) }
        return PluginListReport(plugins: plugins, refused: refused)
    }

    func stats() -> StatsReport {
        let groups = self.groups.map { group in
            let plugins = group.statsByPlugin.sorted { $0.key < $1.key }.map { name, c in
                let count = c.handled + c.failed
                let avg = count == 0 ? 0 : Double(c.latencyTotal.components.attoseconds / 1_000_000_000_000 + c.latencyTotal.components.seconds * 1_000_000) / Double(count)
                return StatsReport.Plugin(
                    plugin: name, handled: c.handled, failed: c.failed, retries: c.retries, parked: c.parked, duplicates: c.duplicates,
                    latencyAvgUs: Int(avg.rounded()),
                    latencyMaxUs: Int(c.latencyMax.components.seconds * 1_000_000 + c.latencyMax.components.attoseconds / 1_000_000_000_000))
            }
            let lag = group.lag().sorted { ($0.0.topic, $0.0.partition) < ($1.0.topic, $1.0.partition) }.map { tp, value in
                StatsReport.Lag(topic: tp.topic, partition: Int(tp.partition), lag: Int(value))
            }
            return StatsReport.Group(name: group.group, counters: CounterReport(group.counters), rebalances: group.rebalances,
                                     plugins: plugins, lag: lag)
        }
        return StatsReport(groups: groups, totals: CounterReport(counters), reloads: reloadCount,
                           longestReloadStallMs: Int(longestReloadStall.components.seconds * 1000
                                                     + longestReloadStall.components.attoseconds / 1_000_000_000_000_000))
    }
}

