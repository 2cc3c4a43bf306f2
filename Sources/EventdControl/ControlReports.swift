// The answers to control commands, one typed report per command. They travel as
// JSON whose keys are the properties' names in snake case (`eventId` is `event_id`).
import Foundation

/// A command's answer. A report may carry a failure of its own (some reloads refused,
/// some replays failed): the answer is then not ok, and still carries the report.
public protocol ControlReport: Codable, Sendable, Equatable {
    var failure: ControlError? { get }
}

extension ControlReport {
    public var failure: ControlError? { nil }
}

extension JSONValue {
    /// `value` in its wire form.
    public init(encoding value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        self = try JSONDecoder().decode(JSONValue.self, from: encoder.encode(value))
    }

    /// This value read as `type`.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(type, from: JSONEncoder().encode(self))
    }
}

/// An optional the wire always carries: null when absent, where a plain optional would leave its key out.
@propertyWrapper
public struct Nullable<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue)
    }
}

extension KeyedDecodingContainer {
    public func decode<Value>(_ type: Nullable<Value>.Type, forKey key: Key) throws -> Nullable<Value> {
        try decodeIfPresent(type, forKey: key) ?? Nullable(wrappedValue: nil)
    }
}

/// A consumer group's totals.
public struct CounterReport: Codable, Sendable, Equatable {
    public var consumed = 0, handled = 0, skipped = 0, retried = 0, deadLettered = 0, redelivered = 0, duplicates = 0, parked = 0
    public init() {}
}

/// `status`.
public struct StatusReport: ControlReport {
    public struct Degradation: Codable, Sendable, Equatable {
        /// `since` is ISO 8601.
        public var reason, since: String
        public var seconds: Int
        public init(reason: String, since: String, seconds: Int) { (self.reason, self.since, self.seconds) = (reason, since, seconds) }
    }

    public struct Group: Codable, Sendable, Equatable {
        public var name: String
        public var topics: [String]
        public var pausedTopics: [String]
        public var disabledPlugins: [String]
        public var counters: CounterReport
        public init(name: String, topics: [String], pausedTopics: [String], disabledPlugins: [String], counters: CounterReport) {
            (self.name, self.topics, self.pausedTopics, self.disabledPlugins, self.counters) = (name, topics, pausedTopics, disabledPlugins, counters)
        }
    }

    public var version: String
    public var pid: Int
    public var uptimeSeconds: Int
    public var brokers: String
    public var plugins: Int
    public var refusedPlugins: Int
    public var reloads: Int
    /// Null while the brokers are reachable.
    @Nullable public var degraded: Degradation?
    public var groups: [Group]
    public var counters: CounterReport

    public init(version: String, pid: Int, uptimeSeconds: Int, brokers: String, plugins: Int, refusedPlugins: Int, reloads: Int,
                degraded: Degradation?, groups: [Group], counters: CounterReport) {
        (self.version, self.pid, self.uptimeSeconds, self.brokers) = (version, pid, uptimeSeconds, brokers)
        (self.plugins, self.refusedPlugins, self.reloads, self.groups, self.counters) = (plugins, refusedPlugins, reloads, groups, counters)
        self.degraded = degraded
    }
}

/// A plugin file that was not loaded, and why.
public struct RefusedFile: Codable, Sendable, Equatable {
    public var path, reason: String
    public init(path: String, reason: String) { (self.path, self.reason) = (path, reason) }
}

/// `plugin-list`.
public struct PluginListReport: ControlReport {
    public struct Claim: Codable, Sendable, Equatable {
        public var event, group: String
        public init(event: String, group: String) { (self.event, self.group) = (event, group) }
    }

    public struct Plugin: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
        /// "enabled" or "disabled".
        public var state: String
        public var path: String
        /// ISO 8601.
        public var loadedAt: String
        public var sharesClaims: Bool
        public var claims: [Claim]

        public init(name: String, version: String, state: String, path: String, loadedAt: String, sharesClaims: Bool, claims: [Claim]) {
            (self.name, self.version, self.state, self.path) = (name, version, state, path)
            (self.loadedAt, self.sharesClaims, self.claims) = (loadedAt, sharesClaims, claims)
        }
    }

    public var plugins: [Plugin]
    public var refused: [RefusedFile]
    public init(plugins: [Plugin], refused: [RefusedFile]) { (self.plugins, self.refused) = (plugins, refused) }
}

/// `stats`.
public struct StatsReport: ControlReport {
    public struct Plugin: Codable, Sendable, Equatable {
        public var plugin: String
        public var handled: Int, failed: Int, retries: Int, parked: Int, duplicates: Int
        public var latencyAvgUs: Int
        public var latencyMaxUs: Int

        public init(plugin: String, handled: Int, failed: Int, retries: Int, parked: Int, duplicates: Int, latencyAvgUs: Int, latencyMaxUs: Int) {
            (self.plugin, self.handled, self.failed, self.retries, self.parked, self.duplicates) = (plugin, handled, failed, retries, parked, duplicates)
            (self.latencyAvgUs, self.latencyMaxUs) = (latencyAvgUs, latencyMaxUs)
        }
    }

    public struct Lag: Codable, Sendable, Equatable {
        public var topic: String
        public var partition, lag: Int
        public init(topic: String, partition: Int, lag: Int) { (self.topic, self.partition, self.lag) = (topic, partition, lag) }
    }

    public struct Group: Codable, Sendable, Equatable {
        public var name: String
        public var counters: CounterReport
        public var rebalances: Int
        public var plugins: [Plugin]
        public var lag: [Lag]

        public init(name: String, counters: CounterReport, rebalances: Int, plugins: [Plugin], lag: [Lag]) {
            (self.name, self.counters, self.rebalances, self.plugins, self.lag) = (name, counters, rebalances, plugins, lag)
        }
    }

    public var groups: [Group]
    public var totals: CounterReport
    public var reloads: Int
    public var longestReloadStallMs: Int

    public init(groups: [Group], totals: CounterReport, reloads: Int, longestReloadStallMs: Int) {
        (self.groups, self.totals, self.reloads, self.longestReloadStallMs) = (groups, totals, reloads, longestReloadStallMs)
    }
}

/// `plugin-reload`, and each plugin a `reload` reloaded.
public struct PluginReloadReport: ControlReport {
    public var name: String
    public var oldVersion: String
    public var newVersion: String
    public var stallMs: Double
    public var reloadMs: Double
    /// The consumer groups that held still for the swap.
    public var groups: [String]

    public init(name: String, oldVersion: String, newVersion: String, stallMs: Double, reloadMs: Double, groups: [String]) {
        (self.name, self.oldVersion, self.newVersion, self.stallMs, self.reloadMs, self.groups) = (name, oldVersion, newVersion, stallMs, reloadMs, groups)
    }
}

/// `reload`.
public struct ReloadReport: ControlReport {
    public struct Loaded: Codable, Sendable, Equatable {
        public var name, version: String
        public init(name: String, version: String) { (self.name, self.version) = (name, version) }
    }

    public var reloaded: [PluginReloadReport] = []
    public var loaded: [Loaded] = []
    public var unloaded: [String] = []
    public var refused: [RefusedFile] = []
    public var unchanged = 0
    /// Settings that changed but take effect only at the next start.
    public var restartRequired: [String] = []

    public init() {}

    public var failure: ControlError? {
        guard !refused.isEmpty else { return nil }
        return ControlError(.failed, "\(refused.count) plugin file(s) refused, the running versions keep serving: "
                            + refused.map(\.reason).joined(separator: "; "))
    }
}

/// `plugin-disable` and `plugin-enable`.
public struct PluginStateReport: ControlReport {
    public var name, state: String
    public var groups: [String]
    public init(name: String, state: String, groups: [String]) { (self.name, self.state, self.groups) = (name, state, groups) }
}

/// `consumer-pause` and `consumer-resume`.
public struct ConsumerReport: ControlReport {
    public var group: String
    public var pausedTopics: [String]
    public init(group: String, pausedTopics: [String]) { (self.group, self.pausedTopics) = (group, pausedTopics) }
}

/// `dlq-list`.
public struct DeadLetterListReport: ControlReport {
    /// One dead letter: where it sits, and its audit headers (absent ones are left out).
    public struct Record: Codable, Sendable, Equatable {
        public var partition: Int
        public var offset: Int
        @Nullable public var key: String?
        @Nullable public var eventId: String?
        public var outcome: String?, plugin: String?, pluginVersion: String?, handler: String?, consumerGroup: String?, error: String?
        public var originalTopic: String?, originalPartition: String?, originalOffset: String?, attempts: String?
        public var firstFailure: String?, lastFailure: String?, replayedFrom: String?

        public init(partition: Int, offset: Int, key: String?, eventId: String?) {
            self.partition = partition
            self.offset = offset
            self.key = key
            self.eventId = eventId
        }
    }

    public var topic: String
    public var records: [Record]
    public init(topic: String, records: [Record]) { (self.topic, self.records) = (topic, records) }
}

/// `dlq-replay`.
public struct ReplayReport: ControlReport {
    /// A dead letter that was not replayed, or failed again.
    public struct Problem: Codable, Sendable, Equatable {
        public var eventId, reason: String
        public var offset: Int
        public init(eventId: String, offset: Int, reason: String) { (self.eventId, self.offset, self.reason) = (eventId, offset, reason) }
    }

    public var topic: String
    /// Event ids.
    public var replayed: [String] = []
    public var failed: [Problem] = []
    public var skipped: [Problem] = []

    public init(topic: String) { self.topic = topic }

    public var failure: ControlError? {
        failed.isEmpty ? nil : ControlError(.failed, "\(failed.count) event(s) failed again and were dead-lettered again")
    }
}
