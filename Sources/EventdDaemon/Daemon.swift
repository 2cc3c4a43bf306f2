// Wires configuration, the broker connection, plugins and consumer groups together.
import CSystemd
import EventdConfig
import EventdKafka
import EventdPluginHost
import EventdRouting
import Foundation
import Logging

public struct DaemonError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public final class Daemon: KafkaClientEvents, @unchecked Sendable {
    public let configuration: DaemonConfiguration
    let logger: Logger
    private(set) var cluster: EmbeddedCluster?
    private var producer: KafkaProducer?
    private var followUps: FollowUpProducer?
    private var registry: PluginRegistry?
    private var groups: [GroupConsumer] = []
    private var statusTimer: DispatchSourceTimer?
    public private(set) var bootstrapServers = ""

    public init(configuration: DaemonConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The plugins that loaded, by name.
    public var pluginNames: [String] { registry?.plugins.map(\.name) ?? [] }

    /// Starts the broker (if embedded), the producer, every plugin and every consumer group.
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
        let catalog = try EventCatalog(config.catalog)

        // Topics the daemon reads or writes: the catalog's, the plugins' outputs, and their dead-letter topics.
        var topics = Set(catalog.topics).union(config.embedded.extraTopics)
        for plugin in config.plugins.values { topics.formUnion(plugin.topics) }
        let allTopics = topics.sorted().flatMap { [$0, $0 + config.delivery.dlqSuffix] }

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

        var producerProps = KafkaProperties(config.producerProperties)
        producerProps["bootstrap.servers"] = bootstrapServers
        let producer = try KafkaProducer(properties: producerProps, events: self)
        self.producer = producer
        if config.createTopics && !config.isEmbedded {
            let created = try producer.createTopics(allTopics, partitions: Int32(config.createPartitions),
                                                    replicationFactor: Int32(config.createReplicationFactor))
            logger.notice("topics created", metadata: ["created": "\(created.joined(separator: ","))"])
        }
        let followUps = FollowUpProducer(producer: producer, logger: logger)
        self.followUps = followUps
        let deadLetters = DeadLetterPublisher(producer: producer, suffix: config.delivery.dlqSuffix)

        let registry = PluginRegistry(catalog: catalog, imageDir: "\(config.runtimeDir)/images",
                                      stateDir: config.stateDir, logger: logger, sink: followUps)
        self.registry = registry
        registry.loadDirectory(config.pluginDir) { name in
            var options = PluginOptions()
            guard let plugin = config.plugins[name] else { return options }
            options.enabled = plugin.enabled
            options.settingsJSON = plugin.settingsJSON
            options.groupOverrides = plugin.groups
            options.wildcardTopics = plugin.topics.isEmpty ? nil : plugin.topics
            options.eventTopics = plugin.eventTopics
            return options
        }
        logger.notice("plugins loaded", metadata: [
            "loaded": "\(registry.plugins.map { "\($0.name) \($0.version)" }.joined(separator: ", "))",
            "refused": "\(registry.refusals.count)",
        ])

        var claimsByGroup: [String: [RouteClaim<PluginInstance>]] = [:]
        for plugin in registry.plugins {
            let options = config.plugins[plugin.name]
            for claim in plugin.claims {
                let topics: [String]
                if claim.event == "*" {
                    topics = (options?.topics.isEmpty ?? true) ? catalog.topics : options!.topics
                } else {
                    topics = options?.eventTopics[claim.event] ?? catalog.event(named: claim.event).map { catalog.entries[$0.index].topics } ?? []
                }
                claimsByGroup[claim.group, default: []].append(RouteClaim(event: claim.event, topics: topics, target: plugin))
            }
        }
        var consumerProps = KafkaProperties(config.consumerProperties)
        consumerProps["bootstrap.servers"] = bootstrapServers
        let options = GroupConsumer.DispatchOptions(
            batchSize: config.batchSize, pollTimeoutMs: Int32(config.pollTimeoutMs), maxMessageBytes: config.maxMessageBytes,
            attempts: config.delivery.attempts, backoffMs: config.delivery.backoffMs, backoffMaxMs: config.delivery.backoffMaxMs)
        for (group, claims) in claimsByGroup.sorted(by: { $0.key < $1.key }) {
            let routes = try RouteTable(catalog: catalog, claims: claims)
            let consumer = try GroupConsumer(group: group, routes: routes, properties: consumerProps, followUps: followUps,
                                             deadLetters: deadLetters, options: options, logger: logger)
            try consumer.start()
            groups.append(consumer)
        }
        startStatusReports()
        notify("READY=1\nSTATUS=\(statusLine())")
        logger.notice("devtrip-eventd ready", metadata: ["groups": "\(groups.map(\.group).joined(separator: ","))"])
    }

    /// Drains every consumer group (finishing the batch in hand, committing
    /// offsets), flushes the producer and shuts the plugins down.
    public func stop() {
        notify("STOPPING=1")
        logger.notice("stopping: draining consumer groups")
        statusTimer?.cancel()
        let all = groups
        DispatchQueue.concurrentPerform(iterations: all.count) { all[$0].stop() }
        if let producer {
            let left = producer.flush(timeoutMs: 10_000)
            if left > 0 { logger.error("producer still has \(left) undelivered records at exit") }
        }
        let summary = statusLine()
        registry?.shutdownAll()
        // Clients go before the embedded cluster they talk to.
        groups.removeAll()
        followUps = nil
        producer = nil
        cluster = nil
        logger.notice("stopped", metadata: ["summary": "\(summary)"])
    }

    /// Totals over every group.
    public var counters: GroupCounters {
        groups.reduce(into: GroupCounters()) { total, group in
            let c = group.counters
            total.consumed += c.consumed
            total.handled += c.handled
            total.skipped += c.skipped
            total.retried += c.retried
            total.deadLettered += c.deadLettered
            total.redelivered += c.redelivered
        }
    }

    func statusLine() -> String {
        let c = counters
        return "\(registry?.plugins.count ?? 0) plugins, \(groups.count) groups; consumed \(c.consumed), handled \(c.handled), skipped \(c.skipped), dead-lettered \(c.deadLettered)"
    }

    private func startStatusReports() {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
        var last = GroupCounters()
        timer.schedule(deadline: .now() + 10, repeating: 10)
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            let now = counters
            notify("STATUS=\(statusLine())")
            if now != last {
                logger.info("status: \(statusLine())")
                last = now
            }
        }
        timer.resume()
        statusTimer = timer
    }

    private func notify(_ state: String) {
        _ = sd_notify(0, state)
    }

    // MARK: KafkaClientEvents (producer)

    public func kafkaLog(level: Int32, facility: String, message: String) {
        logger.log(level: level <= 3 ? .error : level <= 4 ? .warning : level <= 6 ? .info : .debug, "librdkafka \(facility): \(message)")
    }

    public func kafkaError(_ error: KafkaError) {
        logger.warning("kafka producer: \(error)")
    }
}
