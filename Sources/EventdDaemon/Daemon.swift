// Wires configuration, the broker connection, plugins and consumer groups together.
import CSystemd
import EventdConfig
import EventdDelivery
import EventdControl
import EventdKafka
import EventdPluginHost
import EventdRouting
import EventdStore
import Foundation
import Logging

public struct DaemonError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public final class Daemon: KafkaClientEvents, @unchecked Sendable {
    public internal(set) var configuration: DaemonConfiguration
    /// The command line's overrides, applied again when `reload` re-reads the files.
    let overrides: ConfigurationOverrides
    let logger: Logger
    let notifier: SystemdNotifier
    let startedAt = Date()
    private(set) var cluster: EmbeddedCluster?
    private(set) var producer: KafkaProducer?
    private(set) var followUps: FollowUpProducer?
    private var embeddedTopics: EmbeddedTopicSink?
    private(set) var deadLetters: DeadLetterPublisher?
    private(set) var registry: PluginRegistry?
    private(set) var catalog: EventCatalog
    private var control: ControlServer?
    let metrics = DaemonMetrics()
    /// Whether the brokers are reachable (the degraded state).
    let health: KafkaHealth
    private var metricsEndpoint: MetricsEndpoint?
    private var lagTimer: DispatchSourceTimer?
    /// Where the status and lag timers run, one at a time, so that stopping can wait for them.
    private let timerQueue = DispatchQueue(label: "status-reports")
    private var statusTimer: DispatchSourceTimer?
    /// Guards `groups` and serialises control operations that change plugins or routes.
    let controlLock = NSRecursiveLock()
    private var groupsByName: [String: GroupConsumer] = [:]
    private var relays: [String: OutboxRelay] = [:]
    private let relayLock = NSLock()
    /// What each group's installed routes were built from.
    private var routeSignatures: [String: [String]] = [:]
    private var retryPlans: [String: RetryPlan] = [:]
    public private(set) var bootstrapServers = ""
    /// Reloads done, and the longest stall one caused.
    var reloadCount = 0
    var longestReloadStall = Duration.zero

    /// - Parameter notifier: how to tell systemd about readiness and liveness;
    ///   tests pass one built from an empty environment.
    public init(configuration: DaemonConfiguration, overrides: ConfigurationOverrides = .init(),
                notifier: SystemdNotifier = SystemdNotifier(), logger: Logger) {
        self.configuration = configuration
        self.overrides = overrides
        self.notifier = notifier
        self.logger = logger
        health = KafkaHealth(logger: logger)
        catalog = (try? EventCatalog(configuration.catalog)) ?? (try! EventCatalog([]))
    }

    /// The consumer groups, by name order.
    var groups: [GroupConsumer] {
        controlLock.withLock { groupsByName.values.sorted { $0.group < $1.group } }
    }

    /// The plugins that loaded, by name.
    public var pluginNames: [String] { registry?.plugins.map(\.name) ?? [] }

    /// Starts the broker (if embedded), the producer, every plugin, every consumer group and the control socket.
    /// - Throws: when the daemon cannot run at all; a refused plugin is not such a case.
    public func start() throws {
        let config = configuration
        let fm = FileManager.default
        for dir in [config.stateDir, config.runtimeDir] {
            do {
                try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                throw DaemonError("cannot create \(dir): \(error.localizedDescription)")
            }
        }
        catalog = try EventCatalog(config.catalog)

        // Topics the daemon reads or writes: the catalog's, the plugins' outputs, and their dead-letter topics.
        var topics = Set(catalog.topics).union(config.embedded.extraTopics)
        for plugin in config.plugins.values { topics.formUnion(plugin.topics) }
        // Each topic's delay tiers (every tier any handler may use) are created with it.
        let tiers = config.allRetryTiers
        let allTopics = topics.sorted().flatMap { topic in [topic, topic + config.delivery.dlqSuffix] + tiers.map { $0.topic(for: topic) } }

        if config.isEmbedded {
            let cluster = try EmbeddedCluster(brokers: Int32(config.embedded.brokers))
            for topic in allTopics { try cluster.createTopic(topic, partitions: Int32(config.embedded.partitions)) }
            self.cluster = cluster
            bootstrapServers = cluster.bootstrapServers
            let file = config.embedded.bootstrapFile.hasPrefix("/") ? config.embedded.bootstrapFile : "\(config.stateDir)/\(config.embedded.bootstrapFile)"
            try? (bootstrapServers + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            logger.notice("embedded mock cluster started; publish with: kcat -b \(bootstrapServers) -P -t <topic>", metadata: [
                "bootstrap": "\(bootstrapServers)", "topics": "\(topics.count)", "partitions": "\(config.embedded.partitions)",
                "bootstrap_file": "\(file)",
            ])
        } else {
            bootstrapServers = config.brokers
        }

        let producer = try KafkaProducer(properties: producerProperties, events: self)
        self.producer = producer
        metrics.kafkaDegraded(false)
        metrics.storeDegraded(false)
        StoreHealth.shared.onChange { [weak self] in self?.storeHealthChanged() }
        health.start(probe: { [weak producer] in producer?.probeBrokers(timeoutMs: KafkaHealth.probeTimeoutMs) },
                     onChange: { [weak self] in self?.kafkaHealthChanged($0) })
        if config.createTopics && !config.isEmbedded {
            let created = try producer.createTopics(allTopics, partitions: Int32(config.createPartitions),
                                                    replicationFactor: Int32(config.createReplicationFactor))
            logger.notice("topics created", metadata: ["created": "\(created.joined(separator: ","))"])
        }
        let followUps = FollowUpProducer(producer: producer, logger: logger)
        self.followUps = followUps
        // Embedded mode: plugins' output topics get [embedded] partitions too (the registry holds its sink weakly).
        embeddedTopics = cluster.map { EmbeddedTopicSink(next: followUps, cluster: $0, partitions: Int32(config.embedded.partitions),
                                                         created: allTopics, logger: logger) }
        deadLetters = DeadLetterPublisher(producer: producer, suffix: config.delivery.dlqSuffix)

        let registry = PluginRegistry(catalog: catalog, imageDir: "\(config.runtimeDir)/images", stateDir: config.stateDir,
                                      stores: config.store.location(stateDir: config.stateDir), logger: logger,
                                      sink: embeddedTopics ?? followUps)
        self.registry = registry
        registry.loadDirectory(config.pluginDir) { [configuration] name in Self.pluginOptions(name, configuration) }
        logger.notice("plugins loaded", metadata: [
            "loaded": "\(registry.plugins.map { "\($0.name) \($0.version)" }.joined(separator: ", "))",
            "refused": "\(registry.refusals.count)",
        ])
        try applyRoutes()
        do {
            control = try ControlServer(path: config.controlSocket, adminGroup: config.adminGroup, handler: self, logger: logger,
                                        redact: { [secrets = config.secrets] in secrets.redact($0) })
            logger.notice("control socket listening", metadata: ["path": "\(config.controlSocket)", "group": "\(config.adminGroup)"])
        } catch {
            logger.error("control socket unavailable; devtrip-eventctl will not reach this daemon: \(error)",
                         metadata: ["path": "\(config.controlSocket)"])
        }
        if !config.metricsListen.isEmpty {
            metricsEndpoint = try MetricsEndpoint(listen: config.metricsListen, logger: logger) { [metrics] in metrics.exposition() }
        }
        startStatusReports()
        notifier.ready(status: statusLine())
        if notifier.startWatchdog(isAlive: { [weak self] in self?.consumeLoopsAreAlive() ?? false }) {
            logger.info("systemd watchdog armed", metadata: ["interval": "\(notifier.watchdogInterval!)"])
        }
        logger.notice("devtrip-eventd ready", metadata: ["groups": "\(groups.map(\.group).joined(separator: ","))"])
    }

    var producerProperties: KafkaProperties {
        var props = KafkaProperties(configuration.producerProperties)
        props["bootstrap.servers"] = bootstrapServers
        return props
    }

    var consumerProperties: KafkaProperties {
        var props = KafkaProperties(configuration.consumerProperties)
        props["bootstrap.servers"] = bootstrapServers
        return props
    }

    static func pluginOptions(_ name: String, _ config: DaemonConfiguration) -> PluginOptions {
        var options = PluginOptions()
        guard let plugin = config.plugins[name] else { return options }
        options.enabled = plugin.enabled
        options.settingsJSON = plugin.settingsJSON
        options.groupOverrides = plugin.groups
        options.wildcardTopics = plugin.topics.isEmpty ? nil : plugin.topics
        options.eventTopics = plugin.eventTopics
        return options
    }

    /// The route claims of every loaded plugin, by consumer group.
    func claimsByGroup() -> [String: [RouteClaim<PluginInstance>]] {
        var claims: [String: [RouteClaim<PluginInstance>]] = [:]
        for plugin in registry?.plugins ?? [] {
            for claim in plugin.claims {
                let topics: [String]
                if claim.event == "*" {
                    topics = plugin.options.wildcardTopics ?? catalog.topics
                } else {
                    topics = plugin.options.eventTopics[claim.event]
                        ?? catalog.event(named: claim.event).map { catalog.entries[$0.index].topics } ?? []
                }
                claims[claim.group, default: []].append(RouteClaim(event: claim.event, topics: topics, target: plugin))
            }
        }
        return claims
    }

    /// Brings the consumer groups in line with the registry: new routes are
    /// installed between batches, new groups start, groups left without
    /// claims drain and stop.
    /// - Returns: per group, how long its loop was held.
    @discardableResult
    func applyRoutes() throws -> [String: Duration] {
        try controlLock.withLock {
            let claims = claimsByGroup()
            var held: [String: Duration] = [:]
            // Transactional plugins get an outbox relay before any of their events is handled.
            for plugin in registry?.plugins ?? [] where plugin.image.transactional { _ = relay(for: plugin) }
            for (group, groupClaims) in claims.sorted(by: { $0.key < $1.key }) {
                let routes = try RouteTable(catalog: catalog, claims: groupClaims)
                let plan = RetryPlan(claims: groupClaims, catalog: catalog, configuration: configuration)
                let signature = Self.signature(groupClaims)
                if let existing = groupsByName[group] {
                    // A group whose handlers did not change is not touched: it never pauses for another plugin's reload.
                    guard routeSignatures[group] != signature || retryPlans[group] != plan else { continue }
                    held[group] = existing.perform { $0.install(routes, plan: plan) }
                    routeSignatures[group] = signature
                    retryPlans[group] = plan
                } else {
                    let options = GroupConsumer.DispatchOptions(configuration)
                    let consumer = try GroupConsumer(group: group, routes: routes, plan: plan, properties: consumerProperties,
                                                     followUps: followUps!, deadLetters: deadLetters!, options: options,
                                                     metrics: metrics, health: health, logger: logger)
                    consumer.outboxCommitted = { [weak self] plugin in self?.relay(for: plugin)?.signal() }
                    try consumer.start()
                    groupsByName[group] = consumer
                    routeSignatures[group] = signature
                    retryPlans[group] = plan
                }
            }
            for (group, consumer) in groupsByName where claims[group] == nil {
                logger.notice("consumer group has no plugin left; leaving it", metadata: ["consumer_group": "\(group)"])
                consumer.stop()
                groupsByName[group] = nil
                routeSignatures[group] = nil
                retryPlans[group] = nil
            }
            return held
        }
    }

    /// The outbox relay of a transactional plugin (one per plugin name; reloads keep it, since the store stays).
    func relay(for plugin: PluginInstance) -> OutboxRelay? {
        guard plugin.image.transactional, let producer else { return nil }
        // Its own lock: consume threads call this while a control operation may hold `controlLock`
        // and wait for those very threads.
        return relayLock.withLock {
            if let existing = relays[plugin.name] { return existing }
            let relay = OutboxRelay(plugin: plugin.name, store: plugin.context.state, producer: producer, health: health,
                                    ledgerRetention: TimeInterval(configuration.delivery.ledgerRetentionHours * 3600), logger: logger)
            relays[plugin.name] = relay
            return relay
        }
    }

    /// Identifies a group's claims: event, topics and the plugin instance behind each.
    static func signature(_ claims: [RouteClaim<PluginInstance>]) -> [String] {
        claims.map { "\($0.event)|\($0.topics.joined(separator: ","))|\(ObjectIdentifier($0.target).hashValue)" }.sorted()
    }

    /// Drains every consumer group (finishing the batch in hand, committing
    /// offsets), flushes the producer and shuts the plugins down.
    public func stop() {
        notifier.stopping()
        notifier.stopWatchdog()
        logger.notice("stopping: draining consumer groups")
        control?.stop()
        metricsEndpoint?.stop()
        statusTimer?.cancel()
        lagTimer?.cancel()
        // A report in flight (the lag timer queries the consumers) ends before the consumers close.
        timerQueue.sync {}
        // From here on the clients close, and with them the embedded cluster: their errors are not a degradation.
        health.stop()
        do {
            let all = groups
            DispatchQueue.concurrentPerform(iterations: all.count) { all[$0].stop() }
        }
        // Consumers are done: what they committed to outboxes goes out now (what does not, goes after a restart).
        for relay in relayLock.withLock({ Array(relays.values) }) { relay.stop() }
        // The relays hold the producer: they go with it, before the embedded cluster.
        relayLock.withLock { relays.removeAll() }
        if let producer {
            let left = producer.flush(timeoutMs: 10_000)
            if left > 0 { logger.error("producer still has \(left) undelivered records at exit") }
        }
        let summary = statusLine()
        registry?.shutdownAll()
        // Clients go before the embedded cluster they talk to.
        controlLock.withLock { groupsByName.removeAll() }
        followUps = nil
        embeddedTopics = nil
        deadLetters = nil
        // Stopped groups still hold the producer: its client goes now, before the embedded cluster, not at exit.
        producer?.close()
        producer = nil
        cluster = nil
        logger.notice("stopped", metadata: ["summary": "\(summary)"])
    }

    /// Totals over every group.
    public var counters: GroupCounters {
        groups.reduce(into: GroupCounters()) { $0.add($1.counters) }
    }

    func statusLine() -> String {
        let c = counters
        let degraded = [health.degradation.map { ($0.reason, $0.since) }, StoreHealth.shared.degradation.map { ($0.reason, $0.since) }]
            .compactMap { $0 }.map { "DEGRADED since \(ISO8601DateFormatter().string(from: $0.1)): \($0.0); " }.joined()
        return degraded + "\(registry?.plugins.count ?? 0) plugins, \(groups.count) groups; consumed \(c.consumed), handled \(c.handled), skipped \(c.skipped), dead-lettered \(c.deadLettered)"
    }

    private func startStatusReports() {
        let timer = DispatchSource.makeTimerSource(queue: timerQueue)
        var last = GroupCounters()
        timer.schedule(deadline: .now() + 10, repeating: 10)
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            let now = counters
            notifier.status(statusLine())
            if now != last {
                logger.info("status: \(statusLine())")
                last = now
            }
        }
        timer.resume()
        statusTimer = timer

        let lag = DispatchSource.makeTimerSource(queue: timerQueue)
        let interval = DispatchTimeInterval.milliseconds(configuration.lagIntervalMs)
        lag.schedule(deadline: .now() + interval, repeating: interval)
        lag.setEventHandler { [weak self] in
            guard let self else { return }
            for group in groups { metrics.lag(group: group.group, group.lag()) }
        }
        lag.resume()
        lagTimer = lag
    }

    /// The listening metrics port (when configured), for tests and logs.
    var metricsPort: UInt16? { metricsEndpoint?.port }

    /// Every consume loop started an iteration within the watchdog interval
    /// (a loop stuck in a handler or a broker wait stops the pings).
    func consumeLoopsAreAlive() -> Bool {
        let limit = notifier.watchdogInterval ?? .seconds(30)
        let now = ContinuousClock.now
        return groups.allSatisfy { now - $0.heartbeat < limit }
    }

    /// The brokers became unreachable (`degradation` set) or reachable again (nil).
    func kafkaHealthChanged(_ degradation: KafkaHealth.Degradation?) {
        metrics.kafkaDegraded(degradation != nil)
        notifier.status(statusLine())
    }

    /// A shared store (PostgreSQL) became unreachable or reachable again.
    func storeHealthChanged() {
        let degradation = StoreHealth.shared.degradation
        metrics.storeDegraded(degradation != nil)
        if let degradation {
            logger.error("DEGRADED: state store unreachable; partitions that need it wait", metadata: ["reason": "\(degradation.reason)"])
        } else {
            logger.notice("RECOVERED: state stores reachable again; degraded state cleared")
        }
        notifier.status(statusLine())
    }

    // MARK: KafkaClientEvents (producer)

    public func kafkaLog(level: Int32, facility: String, message: String) {
        logger.log(level: level <= 3 ? .error : level <= 4 ? .warning : level <= 6 ? .info : .debug, "librdkafka \(facility): \(message)")
    }

    public func kafkaError(_ error: KafkaError) {
        if error.isFatal {
            logger.error("kafka producer: \(error); replacing it with a new one")
        } else {
            logger.warning("kafka producer: \(error)")
        }
        health.clientError(error, client: "producer")
    }

    public func kafkaProducerReplaced() {
        logger.notice("kafka producer replaced after its fatal error; what it had not delivered is read again")
    }
}
