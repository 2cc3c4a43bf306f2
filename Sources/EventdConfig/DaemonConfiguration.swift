// The daemon's configuration: one TOML file plus one file per plugin.
import EventdRouting

/// Options of the in-process mock cluster.
public struct EmbeddedOptions: Sendable, Equatable {
    public var brokers = 1
    public var partitions = 6
    public var bootstrapFile = "embedded.bootstrap"
    public var extraTopics: [String] = ["echo-events", "notification-events", "counter-events"]
}

/// Retry and dead-letter behaviour.
public struct DeliveryOptions: Sendable, Equatable {
    /// Every handler's retry policy unless its plugin's `[retry]` says otherwise.
    public var retry = RetryPolicy()
    public var dlqSuffix = ".dlq"
    /// Times the daemon may die while a transactional plugin holds an event before it is quarantined.
    public var crashLimit = 2
    /// How long the idempotency ledger remembers a handled event id, in hours.
    public var ledgerRetentionHours = 168
}

/// Per-plugin configuration from `plugins.d/<name>.toml`.
public struct PluginConfiguration: Sendable, Equatable {
    public var file: String
    public var enabled = true
    public var topics: [String] = []
    public var groups: [String: String] = [:]
    public var eventTopics: [String: [String]] = [:]
    /// `[retry]`: overrides of `[delivery]` for every handler of the plugin.
    public var retry = RetryOverrides()
    /// `[retry.handlers."event"]`: overrides for one handler, on top of `retry`.
    public var handlerRetry: [String: RetryOverrides] = [:]
    /// The `[settings]` table as a JSON object.
    public var settingsJSON = "{}"
}

/// Everything the daemon reads at start and on reload. Every default here
/// matches `etc/devtrip-eventd/eventd.toml`.
public struct DaemonConfiguration: Sendable, Equatable {
    /// Where the daemon and the CLI read it unless told otherwise (`--config`).
    public static let installedPath = "/etc/devtrip-eventd/eventd.toml"

    public var file: String = ""
    public var pluginDir = "/usr/lib/devtrip-eventd/plugins/1"
    public var pluginConfigDir = "plugins.d"
    public var stateDir = "/var/lib/devtrip-eventd"
    public var runtimeDir = "/run/devtrip-eventd"
    public var controlSocket = "/run/devtrip-eventd/control.sock"
    public var adminGroup = "devtrip-eventd-admin"
    public var logLevel = "info"

    public var brokers = "embedded"
    public var batchSize = 1000
    public var pollTimeoutMs = 100
    public var maxMessageBytes = 1_048_576
    public var createTopics = false
    public var createPartitions = 6
    public var createReplicationFactor = 3
    public var consumerProperties: [String: String] = [:]
    public var producerProperties: [String: String] = [:]
    /// Values never to print: secret-named properties and what credentials brought in.
    public var secrets = Secrets()

    /// "host:port" on a loopback address for Prometheus scrapes; empty: off.
    public var metricsListen = ""
    /// How often consumer lag is sampled, in milliseconds.
    public var lagIntervalMs = 5000

    /// `[store]`: SQLite files under `stateDir`, or one PostgreSQL database for the fleet.
    public var store = StoreOptions()

    public var embedded = EmbeddedOptions()
    public var delivery = DeliveryOptions()
    public var catalog: [CatalogEntry] = []
    /// Keyed by plugin name (the file's base name).
    public var plugins: [String: PluginConfiguration] = [:]

    public init() {}

    public var isEmbedded: Bool { brokers == "embedded" }

    /// The retry policy of `plugin`'s handler of `event` (a canonical name, or "*").
    public func retryPolicy(plugin: String, event: String) -> RetryPolicy {
        let base = delivery.retry
        guard let config = plugins[plugin] else { return base }
        let pluginLevel = config.retry.applied(to: base)
        return config.handlerRetry[event].map { $0.applied(to: pluginLevel) } ?? pluginLevel
    }

    /// Every delay tier any handler may use (for creating tier topics).
    public var allRetryTiers: [RetryTier] {
        var tiers = delivery.retry.tiers
        for plugin in plugins.values.sorted(by: { $0.file < $1.file }) {
            for overrides in [plugin.retry] + plugin.handlerRetry.values.map({ $0 }) {
                for tier in overrides.tiers ?? [] where !tiers.contains(tier) { tiers.append(tier) }
            }
        }
        return tiers
    }
}
