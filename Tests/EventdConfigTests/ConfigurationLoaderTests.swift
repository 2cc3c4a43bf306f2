import EventdConfig
import EventdRouting
import Foundation
import Testing

/// The repository's `etc/devtrip-eventd`, found from this file.
enum Shipped {
    static let repo = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let dir = repo.appendingPathComponent("etc/devtrip-eventd").path
    static let daemonFile = "\(dir)/eventd.toml"
    static func text() throws -> String { try String(contentsOfFile: daemonFile, encoding: .utf8) }
}

/// A fresh temporary directory, removed by `remove()`.
struct TempDir {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("eventd-config-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let full = "\(path)/\(name)"
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The error `parseDaemon` throws for `text`, or nil when it accepts it.
func daemonError(_ text: String, file: String = "/cfg/eventd.toml") -> ConfigError? {
    do {
        _ = try ConfigurationLoader.parseDaemon(text: text, file: file)
        return nil
    } catch {
        return error
    }
}

/// The error `parsePlugin` throws for `text`, or nil when it accepts it.
func pluginError(_ text: String, file: String = "/cfg/plugins.d/p.toml", catalog: EventCatalog = smallCatalog) -> ConfigError? {
    do {
        _ = try ConfigurationLoader.parsePlugin(text: text, file: file, catalog: catalog)
        return nil
    } catch {
        return error
    }
}

/// Asserts that there is an error, in `file` at `line` where given, whose reason names each of `mentions`.
func expectError(_ error: ConfigError?, file: String? = nil, line: Int? = nil, mentions: String...,
                 sourceLocation: SourceLocation = #_sourceLocation) throws {
    let e = try #require(error, sourceLocation: sourceLocation)
    if let file { #expect(e.file == file, sourceLocation: sourceLocation) }
    if let line { #expect(e.line == line, sourceLocation: sourceLocation) }
    for mention in mentions { #expect(e.reason.contains(mention), "\(e.reason)", sourceLocation: sourceLocation) }
}

func loadError(_ path: String, overrides: ConfigurationOverrides = .init()) -> ConfigError? {
    do {
        _ = try ConfigurationLoader.load(path: path, overrides: overrides)
        return nil
    } catch {
        return error
    }
}

let smallCatalog = try! EventCatalog([
    CatalogEntry(name: "mission.completed", topics: ["mission.completed", "mission-events"]),
    CatalogEntry(name: "mission.started", topics: ["mission-events"]),
    CatalogEntry(name: "payment.subscription-changed", topics: ["payment-events", "subscription-events"],
                 aliases: ["subscription.changed"]),
])

/// The text of one `[name]` section of a TOML file (up to the next header).
func section(_ name: String, of text: String) -> [String] {
    var out: [String] = []
    var inside = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let t = line.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("[") { inside = (t == "[\(name)]"); continue }
        if inside, !t.hasPrefix("#"), !t.isEmpty { out.append(t) }
    }
    return out
}

// MARK: - The shipped configuration

@Suite struct ShippedConfigurationTests {
    @Test func shippedFilesLoadWithTheWholeCatalog() throws {
        let config = try ConfigurationLoader.load(path: Shipped.daemonFile)
        #expect(config.file == Shipped.daemonFile)
        // The seed lists 25 spellings of 20 canonical events (5 are aliases).
        let names = Set(config.catalog.map(\.name))
        #expect(config.catalog.count == 20)
        #expect(names.count == 20)
        #expect(names == [
            "user.registered", "user.login", "user.logout", "user.profile.updated", "user.settings.changed",
            "mission.started", "mission.paused", "mission.resumed", "mission.completed",
            "resource.created", "resource.provisioning.failed", "resource.cleanup.completed",
            "evaluation.started", "evaluation.failed", "evaluation.retry.requested",
            "evaluation.retry.completed", "evaluation.completed",
            "payment.subscription-renewal-failed", "payment.subscription-changed", "payment.ticket-balance-low",
        ])
        let subscription = try #require(config.catalog.first { $0.name == "payment.subscription-changed" })
        #expect(subscription.topics == ["payment-events", "subscription-events"])
        let completed = try #require(config.catalog.first { $0.name == "mission.completed" })
        #expect(completed.topics == ["mission.completed", "mission-events"])
    }

    @Test func shippedAliasesResolveToCanonicalNames() throws {
        let config = try ConfigurationLoader.load(path: Shipped.daemonFile)
        let catalog = try EventCatalog(config.catalog)
        let expected = [
            "subscription.changed": "payment.subscription-changed",
            "evaluation.retry-requested": "evaluation.retry.requested",
            "evaluation.retry-completed": "evaluation.retry.completed",
            "mission.resource-cleanup-completed": "resource.cleanup.completed",
            "mission.resource-provisioning-failed": "resource.provisioning.failed",
        ]
        for (alias, canonical) in expected {
            #expect(catalog.event(named: alias)?.name == canonical, "alias \(alias)")
        }
        #expect(config.catalog.flatMap(\.aliases).sorted() == expected.keys.sorted())
        // Canonical names resolve to themselves; unknown spellings do not resolve.
        #expect(catalog.event(named: "mission.started")?.name == "mission.started")
        #expect(catalog.event(named: "mission.resource-created") == nil)
        #expect(catalog.event(named: "subscription-changed") == nil)
    }

    /// Every key of the shipped file equals the default in `DaemonConfiguration`:
    /// fails when either side changes without the other.
    @Test func shippedValuesEqualTheCodeDefaults() throws {
        let text = try Shipped.text()
        let parsed = try ConfigurationLoader.parseDaemon(text: text, file: Shipped.daemonFile)
        let d = DaemonConfiguration()
        #expect(parsed.pluginDir == d.pluginDir)
        #expect(parsed.pluginConfigDir == d.pluginConfigDir)
        #expect(parsed.stateDir == d.stateDir)
        #expect(parsed.runtimeDir == d.runtimeDir)
        #expect(parsed.controlSocket == d.controlSocket)
        #expect(parsed.adminGroup == d.adminGroup)
        #expect(parsed.logLevel == d.logLevel)
        #expect(parsed.brokers == d.brokers)
        #expect(parsed.batchSize == d.batchSize)
        #expect(parsed.pollTimeoutMs == d.pollTimeoutMs)
        #expect(parsed.maxMessageBytes == d.maxMessageBytes)
        #expect(parsed.createTopics == d.createTopics)
        #expect(parsed.createPartitions == d.createPartitions)
        #expect(parsed.createReplicationFactor == d.createReplicationFactor)
        #expect(parsed.embedded == d.embedded)
        #expect(parsed.metricsListen == d.metricsListen)
        #expect(parsed.lagIntervalMs == d.lagIntervalMs)
        #expect(parsed.delivery == d.delivery)

        // "Every key is present": a key missing from the file would silently take
        // the default above, so check that the file spells each one out.
        let keys: [String: [String]] = [
            "daemon": ["plugin_dir", "plugin_config_dir", "state_dir", "runtime_dir", "control_socket", "admin_group", "log_level"],
            "kafka": ["brokers", "batch_size", "poll_timeout_ms", "max_message_bytes", "create_topics",
                      "create_partitions", "create_replication_factor"],
            "embedded": ["brokers", "partitions", "bootstrap_file", "extra_topics"],
            "delivery": ["attempts", "backoff_ms", "backoff_max_ms", "tiers", "keep_key_order", "handler_deadline_ms",
                         "dlq_suffix", "crash_limit", "ledger_retention_hours"],
            "metrics": ["listen", "lag_interval_ms"],
        ]
        for (table, names) in keys {
            let lines = section(table, of: text)
            for key in names {
                #expect(lines.contains { $0.hasPrefix("\(key) = ") }, "[\(table)] \(key) missing from eventd.toml")
            }
        }
    }

    @Test func shippedLibrdkafkaProperties() throws {
        let config = try ConfigurationLoader.parseDaemon(text: Shipped.text(), file: Shipped.daemonFile)
        #expect(config.consumerProperties == [
            "auto.offset.reset": "earliest",
            "enable.auto.commit": "true",
            "auto.commit.interval.ms": "1000",
            "session.timeout.ms": "10000",
            "queued.min.messages": "1000000",
            "queued.max.messages.kbytes": "2097151",
        ])
        #expect(config.producerProperties == ["linger.ms": "5", "compression.type": "none", "message.timeout.ms": "60000"])
        #expect(config.consumerProperties["group.id"] == nil)
    }

    @Test func shippedPluginsAreLoadedWithSettings() throws {
        let config = try ConfigurationLoader.load(path: Shipped.daemonFile)
        let files = try FileManager.default.contentsOfDirectory(atPath: "\((Shipped.daemonFile as NSString).deletingLastPathComponent)/plugins.d")
            .filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }.sorted()
        #expect(config.plugins.keys.sorted() == files)
        #expect(files.contains("echo") && files.contains("echo-c"))
        for (name, group) in [("echo", "echo-group"), ("echo-c", "echo-c-group")] {
            let plugin = try #require(config.plugins[name])
            #expect(plugin.file == "\(Shipped.dir)/plugins.d/\(name).toml")
            #expect(plugin.enabled)
            #expect(plugin.topics.isEmpty)
            #expect(plugin.groups == [group: group])
            #expect(plugin.eventTopics.isEmpty)
            let json = try JSONSerialization.jsonObject(with: Data(plugin.settingsJSON.utf8))
            let settings = try #require(json as? [String: Any])
            #expect(settings["output_topic"] as? String == "echo-events")
            #expect(settings.count == 1)
        }
    }

    @Test func shippedRelativePathsResolveAgainstTheFilesDirectory() throws {
        let config = try ConfigurationLoader.load(path: Shipped.daemonFile)
        #expect(config.pluginConfigDir == "\(Shipped.dir)/plugins.d")
        // Absolute paths in the file are kept.
        #expect(config.pluginDir == "/usr/lib/devtrip-eventd/plugins/1")
        #expect(config.stateDir == "/var/lib/devtrip-eventd")
        #expect(config.runtimeDir == "/run/devtrip-eventd")
        #expect(config.controlSocket == "/run/devtrip-eventd/control.sock")
        #expect(config.brokers == "embedded")
        #expect(config.isEmbedded)
    }
}

// MARK: - Paths and overrides

@Suite struct ConfigurationPathTests {
    static let relativeDaemon = """
        [daemon]
        plugin_dir = "lib/plugins"
        plugin_config_dir = "conf.d"
        state_dir = "state"
        runtime_dir = "run"
        control_socket = "run/ctl.sock"

        [kafka]
        brokers = "kafka1:9092"

        [events."mission.started"]
        topics = ["mission-events"]

        [events."payment.subscription-changed"]
        topics = ["payment-events", "subscription-events"]
        aliases = ["subscription.changed"]
        """

    @Test func relativePathsInTheFileAreRelativeToTheFile() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let path = try tmp.write("etc/eventd.toml", Self.relativeDaemon)
        let config = try ConfigurationLoader.load(path: path)
        #expect(config.pluginDir == "\(tmp.path)/etc/lib/plugins")
        #expect(config.pluginConfigDir == "\(tmp.path)/etc/conf.d")
        #expect(config.stateDir == "\(tmp.path)/etc/state")
        #expect(config.runtimeDir == "\(tmp.path)/etc/run")
        #expect(config.controlSocket == "\(tmp.path)/etc/run/ctl.sock")
        #expect(config.brokers == "kafka1:9092")
        #expect(!config.isEmbedded)
        #expect(config.plugins.isEmpty) // conf.d does not exist
    }

    @Test func commandLineOverridesWinAndAreRelativeToTheWorkingDirectory() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let path = try tmp.write("etc/eventd.toml", Self.relativeDaemon)
        var overrides = ConfigurationOverrides()
        overrides.brokers = "localhost:19092"
        overrides.pluginDir = "build/plugins"
        overrides.stateDir = "/srv/eventd/state"
        overrides.runtimeDir = "rt"
        overrides.controlSocket = "rt/eventd.sock"
        let config = try ConfigurationLoader.load(path: path, overrides: overrides)
        let cwd = FileManager.default.currentDirectoryPath
        #expect(config.brokers == "localhost:19092")
        #expect(config.pluginDir == "\(cwd)/build/plugins")
        #expect(config.stateDir == "/srv/eventd/state")
        #expect(config.runtimeDir == "\(cwd)/rt")
        #expect(config.controlSocket == "\(cwd)/rt/eventd.sock")
        // No override for the plugin configuration directory: still the file's.
        #expect(config.pluginConfigDir == "\(tmp.path)/etc/conf.d")
    }

    @Test func pluginFilesAreReadFromTheConfiguredDirectoryByBaseName() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let path = try tmp.write("eventd.toml", Self.relativeDaemon)
        try tmp.write("conf.d/counter.toml", """
            [plugin]
            enabled = false
            topics = ["mission-events"]

            [groups]
            "counter" = "counter-v2"

            [events]
            "subscription.changed" = ["subscription-events"]

            [settings]
            limit = 3
            nested = { a = "b" }
            """)
        try tmp.write("conf.d/README.md", "not toml")
        let config = try ConfigurationLoader.load(path: path)
        #expect(config.plugins.keys.sorted() == ["counter"])
        let plugin = try #require(config.plugins["counter"])
        #expect(plugin.file == "\(tmp.path)/conf.d/counter.toml")
        #expect(!plugin.enabled)
        #expect(plugin.topics == ["mission-events"])
        #expect(plugin.groups == ["counter": "counter-v2"])
        // An alias in [events] is stored under the canonical name.
        #expect(plugin.eventTopics == ["payment.subscription-changed": ["subscription-events"]])
        let settings = try #require(try JSONSerialization.jsonObject(with: Data(plugin.settingsJSON.utf8)) as? [String: Any])
        #expect(settings["limit"] as? Int == 3)
        #expect((settings["nested"] as? [String: Any])?["a"] as? String == "b")
    }
}

// MARK: - Errors carry file and line

@Suite struct ConfigurationErrorTests {
    static let file = "/cfg/eventd.toml"

    @Test func tomlSyntaxErrorReportsItsLine() throws {
        let e = try #require(daemonError("""
            [daemon]
            log_level = "info"

            [kafka]
            batch_size = = 3
            """))
        #expect(e.file == Self.file)
        #expect(e.line == 5)
        #expect(e.reason.hasPrefix("TOML syntax"))
    }

    @Test func unknownKeyInKafkaReportsItsLine() throws {
        try expectError(daemonError("""
            [daemon]
            log_level = "info"

            [kafka]
            brokers = "embedded"
            batchsize = 10
            """), file: Self.file, line: 6, mentions: "kafka.batchsize", "unknown key")
    }

    /// KNOWN BUG (Sources/EventdConfig/ConfigError.swift, LineLocator.key): an unknown
    /// key whose value is a table written as a header (`[kafak]`, `[kafka.consumers]`)
    /// is only searched as `key = ...`, never as a `[path.key]` header, so the error
    /// falls back to the parent table's line (1 for the root, the `[kafka]` line for
    /// [kafka]). Expected: the line of the misspelt header. Fails until fixed.
    @Test func unknownTableHeaderReportsItsLine() throws {
        let e = try #require(daemonError("""
            # comment

            [daemon]
            log_level = "info"

            [kafak]
            brokers = "embedded"
            """))
        #expect(e.file == Self.file)
        #expect(e.reason.contains("kafak"))
        #expect(e.reason.contains("unknown key"))
        #expect(e.line == 6, "KNOWN BUG: unknown table [kafak] located at line \(e.line)")

        let e2 = try #require(daemonError("""
            [kafka]
            brokers = "embedded"

            [kafka.consumers]
            "auto.offset.reset" = "earliest"
            """))
        #expect(e2.reason.contains("kafka.consumers"))
        #expect(e2.line == 4, "KNOWN BUG: unknown table [kafka.consumers] located at line \(e2.line)")
    }

    @Test func wrongTypeReportsItsLine() throws {
        try expectError(daemonError("""
            [kafka]
            brokers = "embedded"
            batch_size = "x"
            """), file: Self.file, line: 3, mentions: "kafka.batch_size", "integer")
    }

    /// `brokers` exists in [embedded] and [kafka]: the line must be the one in the failing table.
    @Test func wrongTypeIsLocatedInItsOwnTableNotAnEarlierOne() throws {
        try expectError(daemonError("""
            [embedded]
            brokers = 1

            [kafka]
            # brokers = 3
            brokers = 3
            """), line: 6, mentions: "kafka.brokers", "string")

        try expectError(daemonError("""
            [kafka]
            brokers = "embedded"

            [embedded]
            partitions = 6
            brokers = "two"
            """), line: 6, mentions: "embedded.brokers")
    }

    @Test func outOfRangeIntegerReportsItsLineAndRange() throws {
        try expectError(daemonError("""
            [kafka]
            batch_size = 1000
            poll_timeout_ms = 60001
            """), file: Self.file, line: 3, mentions: "kafka.poll_timeout_ms", "between 1 and 60000")

        try expectError(daemonError("""
            [delivery]

            attempts = 0
            """), line: 3, mentions: "delivery.attempts")
    }

    @Test func retryPoliciesResolveDeliveryThenPluginThenHandler() throws {
        var config = try ConfigurationLoader.parseDaemon(text: """
            [delivery]
            attempts = 4
            tiers = ["500ms", "30s", "2h"]
            handler_deadline_ms = 0
            """, file: Self.file)
        #expect(config.delivery.retry.attempts == 4)
        #expect(config.delivery.retry.tiers.map(\.delayMs) == [500, 30_000, 7_200_000])
        #expect(config.delivery.retry.tiers.map { $0.topic(for: "t") } == ["t.retry.500ms", "t.retry.30s", "t.retry.2h"])
        #expect(config.delivery.retry.keepKeyOrder, "on unless switched off")
        config.plugins["p"] = try ConfigurationLoader.parsePlugin(text: """
            [retry]
            tiers = ["1m"]
            keep_key_order = false

            [retry.handlers."mission.completed"]
            tiers = []
            attempts = 1
            """, file: "/cfg/plugins.d/p.toml", catalog: smallCatalog)
        let pluginLevel = config.retryPolicy(plugin: "p", event: "mission.started")
        #expect(pluginLevel.attempts == 4 && pluginLevel.tiers.map(\.name) == ["1m"] && !pluginLevel.keepKeyOrder)
        let handler = config.retryPolicy(plugin: "p", event: "mission.completed")
        #expect(handler.attempts == 1 && handler.tiers.isEmpty && !handler.keepKeyOrder && handler.deadlineMs == 0)
        #expect(config.retryPolicy(plugin: "other", event: "mission.started") == config.delivery.retry)
        #expect(config.allRetryTiers.map(\.name) == ["500ms", "30s", "2h", "1m"])
    }

    @Test func badRetrySettingsReportTheirLines() throws {
        let tier = try #require(daemonError("""
            [delivery]
            tiers = ["10s", "10 minutes"]
            """))
        #expect(tier.line == 2 && tier.reason.contains("delivery.tiers") && tier.reason.contains("10 minutes"))
        try expectError(daemonError("[delivery]\ntiers = [\"1s\", \"1s\"]\n"), mentions: "listed twice")
        let unknownKey = try #require(pluginError("""
            [retry]
            tries = 3
            """))
        #expect(unknownKey.line == 2 && unknownKey.reason.contains("retry.tries"))
        try expectError(pluginError("""
            [retry.handlers."no.such"]
            attempts = 2
            """), mentions: "no.such", "not an event of the catalog")
        let badValue = try #require(pluginError("""
            [retry.handlers."mission.started"]
            keep_key_order = "yes"
            """))
        #expect(badValue.line == 2 && badValue.reason.contains("keep_key_order"))
    }

    @Test func badLogLevelReportsItsLine() throws {
        try expectError(daemonError("""
            [daemon]
            state_dir = "/var/lib/x"
            log_level = "verbose"
            """), file: Self.file, line: 3, mentions: "daemon.log_level", "warning")
    }

    @Test func eventWithoutTopicsReportsItsLine() throws {
        try expectError(daemonError("""
            [events."user.login"]
            topics = ["auth-events"]

            [events."user.logout"]
            aliases = []
            topics = []
            """), file: Self.file, line: 6, mentions: "topics", "user.logout")

        // No topics key at all: the event's header.
        try expectError(daemonError("""
            [events."user.login"]
            topics = ["auth-events"]

            [events."user.logout"]
            aliases = []
            """), line: 4, mentions: "user.logout")
    }

    @Test func invalidTopicNameReportsItsLine() throws {
        try expectError(daemonError("""
            [events."user.login"]
            topics = ["auth-events"]

            [events."user.logout"]
            aliases = []
            topics = ["auth-events", "auth events"]
            """), file: Self.file, line: 6, mentions: "'auth events'", "events.user.logout.topics")
    }

    @Test func unknownKeyInAnEventReportsItsLine() throws {
        try expectError(daemonError("""
            [events."user.login"]
            topics = ["auth-events"]
            alias = ["login"]
            """), line: 3, mentions: "alias")
    }

    /// KNOWN BUG (Sources/EventdConfig/ConfigurationLoader.swift, parseDaemon):
    /// a catalog conflict is reported at `LineLocator.table(["events"])`, the line of a
    /// literal `[events]` header; files written as `[events."name"]` (like the shipped
    /// one) have none, so the line falls back to 1. Expected: the `aliases` line of the
    /// event that claims the spelling second (line 9 here). Fails until fixed.
    @Test func aliasClaimedByTwoEventsReportsTheSecondClaim() throws {
        let e = try #require(daemonError("""
            # catalog

            [events."payment.subscription-changed"]
            topics = ["payment-events"]
            aliases = ["subscription.changed"]

            [events."subscription.updated"]
            topics = ["subscription-events"]
            aliases = ["subscription.changed"]
            """))
        #expect(e.file == Self.file)
        #expect(e.reason.contains("'subscription.changed'"))
        #expect(e.reason.contains("payment.subscription-changed"))
        #expect(e.reason.contains("subscription.updated"))
        #expect(e.line == 9, "KNOWN BUG: catalog conflicts are located at line \(e.line)")
    }

    @Test func reservedConsumerPropertyReportsItsLine() throws {
        try expectError(daemonError("""
            [kafka]
            brokers = "embedded"

            [kafka.consumer]
            "auto.offset.reset" = "earliest"
            "group.id" = "mine"
            """), file: Self.file, line: 6, mentions: "kafka.consumer.group.id", "set by the daemon")
    }

    @Test func nonScalarLibrdkafkaPropertyReportsItsLine() throws {
        try expectError(daemonError("""
            [kafka.producer]
            "linger.ms" = "5"
            "compression.type" = ["lz4"]
            """), line: 3, mentions: "kafka.producer.compression.type")
    }

    @Test func pluginUnknownEventReportsItsLine() throws {
        let file = "/cfg/plugins.d/p.toml"
        try expectError(pluginError("""
            [plugin]
            enabled = true

            [events]
            "mission.completed" = ["mission-events"]
            "mission.exploded" = ["mission-events"]
            """, file: file), file: file, line: 6, mentions: "mission.exploded", "not an event of the catalog")
    }

    @Test func pluginSettingsNotATableReportsItsLine() throws {
        let file = "/cfg/plugins.d/p.toml"
        try expectError(pluginError("""
            # settings must be a table
            settings = "output_topic=echo-events"

            [plugin]
            enabled = true
            """, file: file), file: file, line: 2, mentions: "settings", "must be a table")
    }

    @Test func pluginWrongTypesReportTheirLines() throws {
        try expectError(pluginError("""
            [plugin]
            topics = []
            enabled = "yes"
            """), line: 3, mentions: "plugin.enabled")

        try expectError(pluginError("""
            [plugin]
            enabled = true

            [groups]
            "echo-group" = ""
            """), line: 5, mentions: "groups.echo-group")
    }

    @Test func missingDaemonFileIsReportedWithItsPath() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let path = "\(tmp.path)/nowhere/eventd.toml"
        let e = try #require(loadError(path))
        #expect(e.file == path)
        #expect(e.line == 0)
        #expect(e.reason.hasPrefix("cannot read"))
    }

    @Test func errorsInPluginFilesNameThePluginFile() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let path = try tmp.write("eventd.toml", """
            [events."mission.started"]
            topics = ["mission-events"]
            """)
        try tmp.write("plugins.d/a.toml", "[plugin]\nenabled = true\n")
        let bad = try tmp.write("plugins.d/b.toml", """
            [plugin]
            enabled = true

            [events]
            "mission.started" = ["mission-events"]
            "mission.completed" = ["mission-events"]
            """)
        let e = try #require(loadError(path))
        #expect(e.file == bad)
        #expect(e.line == 6)
        #expect(e.reason.contains("mission.completed"))
    }

    @Test func unreadablePluginFileIsReportedWithItsPath() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let path = try tmp.write("eventd.toml", "[kafka]\nbrokers = \"embedded\"\n")
        // A directory named like a plugin file cannot be read as text.
        let bad = "\(tmp.path)/plugins.d/dir.toml"
        try FileManager.default.createDirectory(atPath: bad, withIntermediateDirectories: true)
        let e = try #require(loadError(path))
        #expect(e.file == bad)
        #expect(e.line == 0)
        #expect(e.reason.hasPrefix("cannot read"))
    }

    @Test func errorDescriptionIsFileLineReason() {
        let e = ConfigError(file: "/a/b.toml", line: 7, reason: "kafka.x: unknown key")
        #expect(e.description == "/a/b.toml:7: kafka.x: unknown key")
    }
}
