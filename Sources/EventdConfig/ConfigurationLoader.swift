// Reads and validates the TOML files into a DaemonConfiguration.
import EventdRouting
import Foundation
import TOMLKit

/// Command-line values that win over the file.
public struct ConfigurationOverrides: Sendable {
    public var brokers: String?
    public var pluginDir: String?
    public var stateDir: String?
    public var runtimeDir: String?
    public var controlSocket: String?
    /// Where `${credential:NAME}` references are read from.
    public var credentials = CredentialResolver()
    public init() {}
}

public enum ConfigurationLoader {
    /// Loads `path` and every `*.toml` in its plugin configuration directory.
    /// - Throws: `ConfigError` with the file, line and reason of the first problem.
    public static func load(path: String, overrides: ConfigurationOverrides = .init()) throws(ConfigError) -> DaemonConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, line: 0, reason: "cannot read: \(error.localizedDescription)")
        }
        var config = try parseDaemon(text: text, file: path, credentials: overrides.credentials)
        let baseDir = (path as NSString).deletingLastPathComponent
        // Paths in the file are relative to the file; paths on the command line to the working directory.
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : (baseDir.isEmpty ? p : "\(baseDir)/\(p)") }
        func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p }
        config.pluginDir = overrides.pluginDir.map(absolute) ?? resolve(config.pluginDir)
        config.pluginConfigDir = resolve(config.pluginConfigDir)
        config.stateDir = overrides.stateDir.map(absolute) ?? resolve(config.stateDir)
        config.runtimeDir = overrides.runtimeDir.map(absolute) ?? resolve(config.runtimeDir)
        config.controlSocket = overrides.controlSocket.map(absolute) ?? resolve(config.controlSocket)
        if let brokers = overrides.brokers { config.brokers = brokers }

        let catalog: EventCatalog
        do {
            catalog = try EventCatalog(config.catalog)
        } catch {
            throw ConfigError(file: path, line: LineLocator(text).table(["events"]) ?? 1, reason: error.description)
        }
        if FileManager.default.fileExists(atPath: config.pluginConfigDir) {
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: config.pluginConfigDir)) ?? [])
                .filter { $0.hasSuffix(".toml") }.sorted()
            for file in files {
                let full = "\(config.pluginConfigDir)/\(file)"
                let pluginText: String
                do {
                    pluginText = try String(contentsOfFile: full, encoding: .utf8)
                } catch {
                    throw ConfigError(file: full, line: 0, reason: "cannot read: \(error.localizedDescription)")
                }
                let name = (file as NSString).deletingPathExtension
                config.plugins[name] = try parsePlugin(text: pluginText, file: full, catalog: catalog)
            }
        }
        return config
    }

    /// Parses the daemon file alone (no plugin files, no path resolution).
    public static func parseDaemon(text: String, file: String,
                                   credentials: CredentialResolver = .init()) throws(ConfigError) -> DaemonConfiguration {
        let root = try parseTOML(text, file: file)
        let reader = TableReader(table: root, path: [], file: file, locator: LineLocator(text))
        var config = DaemonConfiguration()
        config.file = file
        try reader.allowOnly(["daemon", "kafka", "embedded", "delivery", "metrics", "store", "events"])

        let daemon = try reader.table("daemon")
        try daemon.allowOnly(["plugin_dir", "plugin_config_dir", "state_dir", "runtime_dir", "control_socket", "admin_group", "log_level"])
        config.pluginDir = try daemon.string("plugin_dir") ?? config.pluginDir
        config.pluginConfigDir = try daemon.string("plugin_config_dir") ?? config.pluginConfigDir
        config.stateDir = try daemon.string("state_dir") ?? config.stateDir
        config.runtimeDir = try daemon.string("runtime_dir") ?? config.runtimeDir
        config.controlSocket = try daemon.string("control_socket") ?? config.controlSocket
        config.adminGroup = try daemon.string("admin_group") ?? config.adminGroup
        config.logLevel = try daemon.string("log_level") ?? config.logLevel
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        guard levels.contains(config.logLevel) else {
            throw daemon.error("log_level", "must be one of \(levels.joined(separator: ", "))")
        }

        let kafka = try reader.table("kafka")
        try kafka.allowOnly(["brokers", "batch_size", "poll_timeout_ms", "max_message_bytes", "create_topics",
                             "create_partitions", "create_replication_factor", "consumer", "producer"])
        config.brokers = try kafka.string("brokers") ?? config.brokers
        guard !config.brokers.isEmpty else { throw kafka.error("brokers", "must be \"embedded\" or a bootstrap list") }
        config.batchSize = try kafka.int("batch_size", in: 1...100_000) ?? config.batchSize
        config.pollTimeoutMs = try kafka.int("poll_timeout_ms", in: 1...60_000) ?? config.pollTimeoutMs
        config.maxMessageBytes = try kafka.int("max_message_bytes", in: 1...1_000_000_000) ?? config.maxMessageBytes
        config.createTopics = try kafka.bool("create_topics") ?? config.createTopics
        config.createPartitions = try kafka.int("create_partitions", in: 1...10_000) ?? config.createPartitions
        config.createReplicationFactor = try kafka.int("create_replication_factor", in: 1...32) ?? config.createReplicationFactor
        config.consumerProperties = try kafka.properties("consumer", credentials: credentials, secrets: &config.secrets)
        config.producerProperties = try kafka.properties("producer", credentials: credentials, secrets: &config.secrets)
        for reserved in ["group.id", "bootstrap.servers", "enable.auto.offset.store"] where config.consumerProperties[reserved] != nil {
            throw TableReader(table: TOMLTable(), path: ["kafka", "consumer"], file: file, locator: LineLocator(text))
                .error(reserved, "is set by the daemon and may not be configured")
        }

        try parseStore(reader, credentials: credentials, into: &config)

        let metrics = try reader.table("metrics")
        try metrics.allowOnly(["listen", "lag_interval_ms"])
        config.metricsListen = try metrics.string("listen") ?? config.metricsListen
        config.lagIntervalMs = try metrics.int("lag_interval_ms", in: 100...3_600_000) ?? config.lagIntervalMs
        if !config.metricsListen.isEmpty {
            let host = config.metricsListen.hasPrefix("[") ? String(config.metricsListen.dropFirst().prefix { $0 != "]" })
                : String(config.metricsListen.prefix { $0 != ":" })
            guard host == "localhost" || host == "::1" || host.hasPrefix("127."),
                  let port = config.metricsListen.split(separator: ":").last.flatMap({ Int($0) }), (0...65535).contains(port) else {
                throw metrics.error("listen", "must be a loopback host:port such as 127.0.0.1:9464 or [::1]:9464, or empty for off")
            }
        }

        let embedded = try reader.table("embedded")
        try embedded.allowOnly(["brokers", "partitions", "bootstrap_file", "extra_topics"])
        config.embedded.brokers = try embedded.int("brokers", in: 1...16) ?? config.embedded.brokers
        config.embedded.partitions = try embedded.int("partitions", in: 1...1024) ?? config.embedded.partitions
        config.embedded.bootstrapFile = try embedded.string("bootstrap_file") ?? config.embedded.bootstrapFile
        config.embedded.extraTopics = try embedded.strings("extra_topics") ?? config.embedded.extraTopics

        let delivery = try reader.table("delivery")
        try delivery.allowOnly(TableReader.retryKeys.union(["dlq_suffix", "crash_limit", "ledger_retention_hours"]))
        config.delivery.crashLimit = try delivery.int("crash_limit", in: 1...100) ?? config.delivery.crashLimit
        config.delivery.ledgerRetentionHours = try delivery.int("ledger_retention_hours", in: 1...87_600) ?? config.delivery.ledgerRetentionHours
        config.delivery.retry = try delivery.retryOverrides().applied(to: config.delivery.retry)
        config.delivery.dlqSuffix = try delivery.string("dlq_suffix") ?? config.delivery.dlqSuffix
        guard !config.delivery.dlqSuffix.isEmpty else { throw delivery.error("dlq_suffix", "must not be empty") }

        let events = try reader.table("events")
        var spellings: [String: String] = [:]
        // Document order, so a duplicate is reported where it is claimed the second time.
        let eventNames = events.table.keys.sorted { events.locator.key($0, in: ["events"]) < events.locator.key($1, in: ["events"]) }
        for name in eventNames {
            let entry = try events.table(name)
            try entry.allowOnly(["topics", "aliases"])
            guard let topics = try entry.strings("topics"), !topics.isEmpty else {
                throw entry.error("topics", "event '\(name)' needs at least one topic")
            }
            for topic in topics where !isValidTopic(topic) {
                throw entry.error("topics", "'\(topic)' is not a valid Kafka topic name")
            }
            let aliases = try entry.strings("aliases") ?? []
            for spelling in [name] + aliases {
                if let owner = spellings[spelling], owner != name {
                    throw entry.error(spelling == name ? "topics" : "aliases", "'\(spelling)' already names event '\(owner)'")
                }
                spellings[spelling] = name
            }
            config.catalog.append(CatalogEntry(name: name, topics: topics, aliases: aliases))
        }
        do {
            _ = try EventCatalog(config.catalog)
        } catch {
            throw ConfigError(file: file, line: LineLocator(text).table(["events"]) ?? 1, reason: error.description)
        }
        return config
    }

    /// Parses one `plugins.d/<name>.toml`.
    public static func parsePlugin(text: String, file: String, catalog: EventCatalog) throws(ConfigError) -> PluginConfiguration {
        let root = try parseTOML(text, file: file)
        let reader = TableReader(table: root, path: [], file: file, locator: LineLocator(text))
        try reader.allowOnly(["plugin", "groups", "events", "retry", "settings"])
        var plugin = PluginConfiguration(file: file)
        let section = try reader.table("plugin")
        try section.allowOnly(["enabled", "topics"])
        plugin.enabled = try section.bool("enabled") ?? true
        plugin.topics = try section.strings("topics") ?? []
        for topic in plugin.topics where !isValidTopic(topic) {
            throw section.error("topics", "'\(topic)' is not a valid Kafka topic name")
        }
        let groups = try reader.table("groups")
        for key in groups.table.keys.sorted() {
            guard let value = try groups.string(key), !value.isEmpty else { throw groups.error(key, "must be a non-empty group name") }
            plugin.groups[key] = value
        }
        let events = try reader.table("events")
        for key in events.table.keys.sorted() {
            guard catalog.event(named: key) != nil else { throw events.error(key, "'\(key)' is not an event of the catalog") }
            guard let topics = try events.strings(key), !topics.isEmpty else { throw events.error(key, "needs at least one topic") }
            plugin.eventTopics[catalog.event(named: key)!.name] = topics
        }
        let retry = try reader.table("retry")
        try retry.allowOnly(TableReader.retryKeys.union(["handlers"]))
        plugin.retry = try retry.retryOverrides()
        let handlers = try retry.table("handlers")
        for key in handlers.table.keys.sorted() {
            guard let event = catalog.event(named: key) else { throw handlers.error(key, "'\(key)' is not an event of the catalog") }
            let handler = try handlers.table(key)
            try handler.allowOnly(TableReader.retryKeys)
            plugin.handlerRetry[event.name] = try handler.retryOverrides()
        }
        if let settings = root["settings"] {
            guard let table = settings.table else {
                throw reader.error("settings", "must be a table")
            }
            plugin.settingsJSON = table.convert(to: .json, options: [])
                .replacingOccurrences(of: "\n", with: "")
        }
        return plugin
    }

    static func parseTOML(_ text: String, file: String) throws(ConfigError) -> TOMLTable {
        try checkBeforeParsing(text, file: file)
        do {
            return try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, line: error.source.begin.line, reason: "TOML syntax: \(error.description)")
        } catch {
            throw ConfigError(file: file, line: 0, reason: "TOML: \(error)")
        }
    }

    static func isValidTopic(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 249 && name != "." && name != ".."
            && name.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }
}

extension UInt8 {
    var isASCIIAlphanumeric: Bool {
        (self >= 0x30 && self <= 0x39) || (self >= 0x41 && self <= 0x5A) || (self >= 0x61 && self <= 0x7A)
    }
}

/// Typed, located reads from one TOML table.
struct TableReader {
    let table: TOMLTable
    let path: [String]
    let file: String
    let locator: LineLocator

    func error(_ key: String, _ reason: String) -> ConfigError {
        let dotted = (path + [key]).joined(separator: ".")
        return ConfigError(file: file, line: locator.key(key, in: path), reason: "\(dotted): \(reason)")
    }

    func allowOnly(_ keys: Set<String>) throws(ConfigError) {
        for key in table.keys where !keys.contains(key) {
            throw error(key, "unknown key (expected one of: \(keys.sorted().joined(separator: ", ")))")
        }
    }

    func table(_ key: String) throws(ConfigError) -> TableReader {
        guard let value = table[key] else {
            return TableReader(table: TOMLTable(), path: path + [key], file: file, locator: locator)
        }
        guard let sub = value.table else { throw error(key, "must be a table") }
        return TableReader(table: sub, path: path + [key], file: file, locator: locator)
    }

    func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = table[key] else { return nil }
        guard let s = value.string else { throw error(key, "must be a string") }
        return s
    }

    func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let b = value.bool else { throw error(key, "must be true or false") }
        return b
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let value = table[key] else { return nil }
        guard value.type == .int, let i = value.int else { throw error(key, "must be an integer") }
        guard range.contains(i) else { throw error(key, "must be between \(range.lowerBound) and \(range.upperBound)") }
        return i
    }

    func strings(_ key: String) throws(ConfigError) -> [String]? {
        guard let value = table[key] else { return nil }
        guard let array = value.array else { throw error(key, "must be an array of strings") }
        var out: [String] = []
        for element in array {
            guard let s = element.string else { throw error(key, "must be an array of strings") }
            out.append(s)
        }
        return out
    }

    /// A table of librdkafka properties: every value a string, number or
    /// boolean, with its `${credential:NAME}` / `${file:/path}` references
    /// resolved. Secret values are added to `secrets`.
    func properties(_ key: String, credentials: CredentialResolver, secrets: inout Secrets) throws(ConfigError) -> [String: String] {
        let sub = try table(key)
        var out: [String: String] = [:]
        for name in sub.table.keys {
            let value = sub.table[name]!
            switch value.type {
            case .string:
                do throws(CredentialResolver.Failure) {
                    let resolved = try credentials.resolve(value.string!)
                    out[name] = resolved.value
                    for secret in resolved.secrets { secrets.insert(secret) }
                } catch {
                    throw sub.error(name, error.reason)
                }
            case .int: out[name] = String(value.int!)
            case .bool: out[name] = value.bool! ? "true" : "false"
            default: throw sub.error(name, "librdkafka properties must be strings, integers or booleans")
            }
            if Secrets.isSecretProperty(name), let secret = out[name] { secrets.insert(secret) }
        }
        return out
    }
}
