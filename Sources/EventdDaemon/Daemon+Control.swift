// The daemon's answers to control commands.
import CEventdPlugin
import EventdConfig
import EventdDelivery
import EventdControl
import EventdKafka
import EventdPluginHost
import EventdRouting
import Foundation

extension Daemon: ControlHandler {
    public func handle(_ request: ControlRequest, peer: PeerCredentials) -> ControlResponse {
        let args = request.args
        switch request.cmd {
        case "status": return .success(status())
        case "plugin-list": return .success(pluginList())
        case "stats": return .success(stats())
        case "plugin-reload":
            guard let name = args["name"], !name.isEmpty else { return .failure(.init(.badRequest, "usage: plugin-reload NAME")) }
            return reloadPlugin(named: name)
        case "reload": return reloadAll()
        case "plugin-disable", "plugin-enable":
            guard let name = args["name"], !name.isEmpty else { return .failure(.init(.badRequest, "usage: \(request.cmd) NAME")) }
            return setPlugin(named: name, enabled: request.cmd == "plugin-enable")
        case "consumer-pause", "consumer-resume":
            guard let group = args["group"], !group.isEmpty else { return .failure(.init(.badRequest, "usage: \(request.cmd) GROUP [TOPIC]")) }
            return setConsumer(group: group, topic: args["topic"], paused: request.cmd == "consumer-pause")
        case "dlq-list":
            guard let topic = args["topic"], !topic.isEmpty else { return .failure(.init(.badRequest, "usage: dlq-list TOPIC")) }
            return dlqList(topic: topic)
        case "dlq-replay":
            guard let topic = args["topic"], !topic.isEmpty else { return .failure(.init(.badRequest, "usage: dlq-replay TOPIC (--event-id ID | --all)")) }
            let all = args["all"] == "true"
            let id = args["event-id"]
            guard all != (id != nil) else { return .failure(.init(.badRequest, "dlq-replay needs exactly one of --event-id ID and --all")) }
            return dlqReplay(topic: topic, eventID: id)
        default:
            return .failure(.init(.badRequest, "unknown command '\(request.cmd)'"))
        }
    }

    // MARK: Read commands

    func countersJSON(_ c: GroupCounters) -> JSONValue {
        ["consumed": .init(c.consumed), "handled": .init(c.handled), "skipped": .init(c.skipped), "retried": .init(c.retried),
         "dead_lettered": .init(c.deadLettered), "redelivered": .init(c.redelivered), "duplicates": .init(c.duplicates),
         "parked": .init(c.parked)]
    }

    func status() -> JSONValue {
        let groups = self.groups.map { group -> JSONValue in
            let (pausedTopics, disabled) = pauseSnapshot(group)
            return [
                "name": .init(group.group),
                "topics": .array(group.topics.map { .string($0) }),
                "paused_topics": .array(pausedTopics.map { .string($0) }),
                "disabled_plugins": .array(disabled.map { .string($0) }),
                "counters": countersJSON(group.counters),
            ]
        }
        return [
            "version": .init(daemonVersion),
            "pid": .init(Int(getpid())),
            "uptime_seconds": .number(Date().timeIntervalSince(startedAt).rounded()),
            "brokers": .init(configuration.isEmbedded ? "embedded (\(bootstrapServers))" : bootstrapServers),
            "plugins": .init(registry?.plugins.count ?? 0),
            "refused_plugins": .init(registry?.refusals.count ?? 0),
            "reloads": .init(reloadCount),
            "degraded": degradedJSON(),
            "groups": .array(groups),
            "counters": countersJSON(counters),
        ]
    }

    /// null while the brokers are reachable; else why, since when and for how long.
    func degradedJSON() -> JSONValue {
        guard let degradation = health.degradation else { return .null }
        return [
            "reason": .init(degradation.reason),
            "since": .init(ISO8601DateFormatter().string(from: degradation.since)),
            "seconds": .number(Date().timeIntervalSince(degradation.since).rounded()),
        ]
    }

    /// The group's pause state, read on its polling thread.
    func pauseSnapshot(_ group: GroupConsumer) -> ([String], [String]) { group.pauseState }

    func disabledPluginNames() -> Set<String> {
        Set(groups.flatMap { pauseSnapshot($0).1 })
    }

    func pluginList() -> JSONValue {
        let disabled = disabledPluginNames()
        let iso = ISO8601DateFormatter()
        let plugins = (registry?.plugins ?? []).map { plugin -> JSONValue in
            [
                "name": .init(plugin.name),
                "version": .init(plugin.version),
                "state": .init(disabled.contains(plugin.name) ? "disabled" : "enabled"),
                "path": .init(plugin.image.sourcePath),
                "loaded_at": .init(iso.string(from: plugin.loadedAt)),
                "shares_claims": .bool(plugin.image.sharesClaims),
                "claims": .array(plugin.claims.map { ["event": .init($0.event), "group": .init($0.group)] }),
            ]
        }
        let refused = (registry?.refusals ?? []).map { ["path": JSONValue($0.path), "reason": JSONValue($0.refusal.description)] as JSONValue }
        return ["plugins": .array(plugins), "refused": .array(refused)]
    }

    func stats() -> JSONValue {
        let groups = self.groups.map { group -> JSONValue in
            let plugins = group.statsByPlugin.sorted { $0.key < $1.key }.map { name, c -> JSONValue in
                let count = c.handled + c.failed
                let avg = count == 0 ? 0 : Double(c.latencyTotal.components.attoseconds / 1_000_000_000_000 + c.latencyTotal.components.seconds * 1_000_000) / Double(count)
                return [
                    "plugin": .init(name), "handled": .init(c.handled), "failed": .init(c.failed), "retries": .init(c.retries), "parked": .init(c.parked),
                    "duplicates": .init(c.duplicates),
                    "latency_avg_us": .number(avg.rounded()),
                    "latency_max_us": .number(Double(c.latencyMax.components.seconds * 1_000_000 + c.latencyMax.components.attoseconds / 1_000_000_000_000)),
                ]
            }
            let lag = group.lag().sorted { ($0.0.topic, $0.0.partition) < ($1.0.topic, $1.0.partition) }.map { tp, value -> JSONValue in
                ["topic": .init(tp.topic), "partition": .init(Int(tp.partition)), "lag": .init(Int(value))]
            }
            return ["name": .init(group.group), "counters": countersJSON(group.counters), "rebalances": .init(group.rebalances),
                    "plugins": .array(plugins), "lag": .array(lag)]
        }
        return ["groups": .array(groups), "totals": countersJSON(counters), "reloads": .init(reloadCount),
                "longest_reload_stall_ms": .number(Double(longestReloadStall.components.seconds * 1000 + longestReloadStall.components.attoseconds / 1_000_000_000_000_000))]
    }

    // MARK: Plugins

    func reloadPlugin(named name: String) -> ControlResponse {
        controlLock.withLock {
            guard let registry, let old = registry.plugins.first(where: { $0.name == name }) else {
                return .failure(.init(.refused, "no plugin named '\(name)' is loaded (see plugin-list)"))
            }
            return reload(old, path: old.image.sourcePath, options: Self.pluginOptions(name, configuration))
        }
    }

    /// Loads a new build beside `old`, swaps it in between batches, then shuts `old` down.
    /// On any refusal `old` keeps serving.
    func reload(_ old: PluginInstance, path: String, options: PluginOptions, notify: Bool = true) -> ControlResponse {
        guard let registry else { return .failure(.init(.failed, "the daemon is not running")) }
        if notify { notifier.reloading() }
        defer { if notify { notifier.ready(status: statusLine()) } }
        let started = ContinuousClock.now
        let new: PluginInstance
        do {
            guard let prepared = try registry.prepare(path: path, options: { _ in options }, replacing: old) else {
                return .failure(.init(.refused, "plugin '\(old.name)' is disabled in its configuration; version \(old.version) keeps serving"))
            }
            new = prepared
        } catch {
            registry.recordRefusal(path: path, error)
            metrics.reload(plugin: old.name, succeeded: false)
            return .failure(.init(.failed, "\(error); version \(old.version) keeps serving"))
        }
        registry.clearRefusal(path: path)
        registry.replace(old, with: new)
        let held: [String: Duration]
        do {
            held = try applyRoutes()
        } catch {
            // Routes could not be built with the new claims: put the old version back.
            registry.replace(new, with: old)
            _ = try? applyRoutes()
            new.shutdown()
            return .failure(.init(.failed, "routes for the new build of '\(old.name)': \(error); version \(old.version) keeps serving"))
        }
        old.shutdown()
        let stall = held.values.max() ?? .zero
        reloadCount += 1
        metrics.reload(plugin: new.name, succeeded: true)
        if stall > longestReloadStall { longestReloadStall = stall }
        let total = ContinuousClock.now - started
        logger.notice("plugin reloaded", metadata: ["plugin": "\(new.name)", "version": "\(new.version)",
                                                    "previous_version": "\(old.version)", "stall": "\(stall)"])
        return .success([
            "name": .init(new.name), "old_version": .init(old.version), "new_version": .init(new.version),
            "stall_ms": .number(milliseconds(stall)), "reload_ms": .number(milliseconds(total)),
            "groups": .array(held.keys.sorted().map { .string($0) }),
        ])
    }

    func reloadAll() -> ControlResponse {
        controlLock.withLock {
            guard let registry else { return .failure(.init(.failed, "the daemon is not running")) }
            // One RELOADING=1 ... READY=1 around the whole reload, as systemd expects.
            notifier.reloading()
            defer { notifier.ready(status: statusLine()) }
            let fresh: DaemonConfiguration
            do {
                fresh = try ConfigurationLoader.load(path: configuration.file, overrides: overrides)
            } catch {
                return .failure(.init(.failed, "configuration not reloaded: \(error)"))
            }
            var restartRequired: [String] = []
            if fresh.brokers != configuration.brokers { restartRequired.append("kafka.brokers") }
            if fresh.catalog != configuration.catalog { restartRequired.append("events") }
            if fresh.consumerProperties != configuration.consumerProperties { restartRequired.append("kafka.consumer") }
            if fresh.producerProperties != configuration.producerProperties { restartRequired.append("kafka.producer") }
            if fresh.pluginDir != configuration.pluginDir { restartRequired.append("daemon.plugin_dir") }
            var kept = configuration
            kept.plugins = fresh.plugins
            configuration = kept

            let files = ((try? FileManager.default.contentsOfDirectory(atPath: configuration.pluginDir)) ?? [])
                .filter { $0.hasSuffix(".so") }.sorted().map { "\(configuration.pluginDir)/\($0)" }
            var reloaded: [JSONValue] = [], loaded: [JSONValue] = [], unloaded: [JSONValue] = [], refused: [JSONValue] = []
            var unchanged = 0
            let current = registry.plugins
            for plugin in current where !files.contains(plugin.image.sourcePath) {
                registry.remove(plugin)
                _ = try? applyRoutes()
                plugin.shutdown()
                unloaded.append(.string(plugin.name))
            }
            for path in files {
                if let plugin = current.first(where: { $0.image.sourcePath == path }) {
                    let options = Self.pluginOptions(plugin.name, configuration)
                    guard PluginFingerprint(path: path) != plugin.fingerprint || options != plugin.options else {
                        unchanged += 1
                        continue
                    }
                    let answer = reload(plugin, path: path, options: options, notify: false)
                    if answer.ok { reloaded.append(answer.result ?? .null) } else {
                        refused.append(["path": .init(path), "reason": .init(answer.error?.message ?? "")])
                    }
                } else {
                    do {
                        guard let instance = try registry.prepare(path: path, options: { [configuration] in Self.pluginOptions($0, configuration) },
                                                                  replacing: nil) else { continue }
                        registry.add(instance)
                        registry.clearRefusal(path: path)
                        try applyRoutes()
                        loaded.append(["name": .init(instance.name), "version": .init(instance.version)])
                    } catch let refusal as PluginRefusal {
                        if case .duplicateName = refusal, registry.refusals.contains(where: { $0.path == path }) { continue }
                        registry.recordRefusal(path: path, refusal)
                        refused.append(["path": .init(path), "reason": .init(refusal.description)])
                    } catch {
                        refused.append(["path": .init(path), "reason": .init("\(error)")])
                    }
                }
            }
            let result: JSONValue = [
                "reloaded": .array(reloaded), "loaded": .array(loaded), "unloaded": .array(unloaded),
                "refused": .array(refused), "unchanged": .init(unchanged),
                "restart_required": .array(restartRequired.map { .string($0) }),
            ]
            logger.notice("reload done", metadata: ["reloaded": "\(reloaded.count)", "loaded": "\(loaded.count)",
                                                    "unloaded": "\(unloaded.count)", "refused": "\(refused.count)"])
            if !refused.isEmpty {
                let reasons = refused.compactMap { $0["reason"]?.string }.joined(separator: "; ")
                return ControlResponse(v: controlProtocolVersion, ok: false, result: result,
                                       error: .init(.failed, "\(refused.count) plugin file(s) refused, the running versions keep serving: \(reasons)"))
            }
            return .success(result)
        }
    }

    func setPlugin(named name: String, enabled: Bool) -> ControlResponse {
        controlLock.withLock {
            guard let plugin = registry?.plugins.first(where: { $0.name == name }) else {
                return .failure(.init(.refused, "no plugin named '\(name)' is loaded (see plugin-list)"))
            }
            let groupNames = Set(plugin.claims.map(\.group))
            let affected = groups.filter { groupNames.contains($0.group) }
            for group in affected { group.perform { $0.setPluginEnabled(name, enabled) } }
            logger.notice(enabled ? "plugin enabled" : "plugin disabled; its consumer groups are paused",
                          metadata: ["plugin": "\(name)", "groups": "\(affected.map(\.group).joined(separator: ","))"])
            return .success(["name": .init(name), "state": .init(enabled ? "enabled" : "disabled"),
                             "groups": .array(affected.map { .string($0.group) })])
        }
    }

    func setConsumer(group name: String, topic: String?, paused: Bool) -> ControlResponse {
        guard let group = groups.first(where: { $0.group == name }) else {
            return .failure(.init(.refused, "no consumer group '\(name)'; groups: \(groups.map(\.group).joined(separator: ", "))"))
        }
        if let topic, !group.topics.contains(topic) {
            return .failure(.init(.refused, "group '\(name)' does not read topic '\(topic)'; it reads \(group.topics.joined(separator: ", "))"))
        }
        group.perform { $0.setPaused(paused, topic: topic) }
        let state = pauseSnapshot(group)
        return .success(["group": .init(name), "paused_topics": .array(state.0.map { .string($0) })])
    }

    // MARK: Dead letters

    func deadLetterEntry(_ record: CopiedRecord) -> JSONValue {
        var entry: [String: JSONValue] = [
            "partition": .init(Int(record.partition)), "offset": .init(Int(record.offset)),
            "key": record.keyBytes.map { .string(String(decoding: $0, as: UTF8.self)) } ?? .null,
            "event_id": eventID(of: record).map { .string($0) } ?? .null,
        ]
        for (header, key) in [("x-dlq-outcome", "outcome"), ("x-dlq-plugin", "plugin"), ("x-dlq-plugin-version", "plugin_version"),
                              ("x-dlq-handler", "handler"), ("x-dlq-consumer-group", "consumer_group"), ("x-dlq-error", "error"),
                              ("x-dlq-original-topic", "original_topic"), ("x-dlq-original-partition", "original_partition"),
                              ("x-dlq-original-offset", "original_offset"), ("x-dlq-attempts", "attempts"),
                              ("x-dlq-first-failure", "first_failure"), ("x-dlq-last-failure", "last_failure"),
                              ("x-dlq-replayed-from", "replayed_from")] {
            if let value = record.header(header) { entry[key] = .string(value) }
        }
        return .object(entry)
    }

    func eventID(of record: CopiedRecord) -> String? {
        if let id = record.header("ce_id") { return id }
        guard let value = record.valueBytes else { return nil }
        return value.withUnsafeBytes { raw -> String? in
            guard let fields = try? EnvelopeScanner.scan(raw), let range = fields.eventId else { return nil }
            return EnvelopeScanner.decode(raw, range)
        }
    }

    func readDeadLetters(_ topic: String) -> Result<[CopiedRecord], ControlError> {
        guard topic.hasSuffix(configuration.delivery.dlqSuffix) else {
            return .failure(.init(.refused, "'\(topic)' is not a dead-letter topic (names end in '\(configuration.delivery.dlqSuffix)')"))
        }
        do {
            return .success(try KafkaTopicReader.readAll(topic: topic, properties: consumerProperties))
        } catch {
            return .failure(.init(.failed, "cannot read \(topic): \(error)"))
        }
    }

    func dlqList(topic: String) -> ControlResponse {
        switch readDeadLetters(topic) {
        case .failure(let error): return .failure(error)
        case .success(let records): return .success(["topic": .init(topic), "records": .array(records.map(deadLetterEntry))])
        }
    }

    func dlqReplay(topic: String, eventID wanted: String?) -> ControlResponse {
        let records: [CopiedRecord]
        switch readDeadLetters(topic) {
        case .failure(let error): return .failure(error)
        case .success(let read): records = read
        }
        let selected = wanted == nil ? records : records.filter { eventID(of: $0) == wanted }
        if let wanted, selected.isEmpty {
            return .failure(.init(.refused, "no dead letter with event id '\(wanted)' in \(topic)"))
        }
        var replayed: [JSONValue] = [], failed: [JSONValue] = [], skipped: [JSONValue] = []
        for record in selected {
            let id = eventID(of: record) ?? ""
            switch replay(record, from: topic) {
            case .success: replayed.append(.string(id))
            case .failure(let problem) where problem.code == .refused:
                skipped.append(["event_id": .init(id), "offset": .init(Int(record.offset)), "reason": .init(problem.message)])
            case .failure(let problem):
                failed.append(["event_id": .init(id), "offset": .init(Int(record.offset)), "reason": .init(problem.message)])
            }
        }
        let result: JSONValue = ["topic": .init(topic), "replayed": .array(replayed), "failed": .array(failed), "skipped": .array(skipped)]
        logger.notice("dead letters replayed", metadata: ["topic": "\(topic)", "replayed": "\(replayed.count)",
                                                          "failed": "\(failed.count)", "skipped": "\(skipped.count)"])
        if !failed.isEmpty {
            return ControlResponse(v: controlProtocolVersion, ok: false, result: result,
                                   error: .init(.failed, "\(failed.count) event(s) failed again and were dead-lettered again"))
        }
        return .success(result)
    }

    /// Hands one dead letter back to the plugin that failed it.
    func replay(_ dead: CopiedRecord, from topic: String) -> Result<Void, ControlError> {
        guard let pluginName = dead.header("x-dlq-plugin"), let groupName = dead.header("x-dlq-consumer-group"),
              let handler = dead.header("x-dlq-handler"), let originalTopic = dead.header("x-dlq-original-topic") else {
            return .failure(.init(.refused, "rejected before any handler saw it (\(dead.header("x-dlq-outcome") ?? "no outcome")); fix the record at its producer"))
        }
        guard let plugin = registry?.plugins.first(where: { $0.name == pluginName }) else {
            return .failure(.init(.refused, "plugin '\(pluginName)' is not loaded"))
        }
        guard let group = groups.first(where: { $0.group == groupName }) else {
            return .failure(.init(.refused, "consumer group '\(groupName)' is not running"))
        }
        guard let event = catalog.event(named: handler) else {
            return .failure(.init(.refused, "event '\(handler)' is no longer in the catalog"))
        }
        var record = dead
        record.topic = originalTopic
        record.partition = Int32(dead.header("x-dlq-original-partition") ?? "") ?? dead.partition
        record.offset = Int64(dead.header("x-dlq-original-offset") ?? "") ?? dead.offset
        switch group.replay(record, plugin: plugin, event: event, eventID: eventID(of: dead) ?? "",
                            policy: configuration.retryPolicy(plugin: plugin.name, event: event.name),
                            replayedFrom: "\(topic)/\(dead.partition)/\(dead.offset)") {
        case .failure(let failure): return .failure(.init(.failed, "produce not acknowledged: \(failure)"))
        case .success(.ok): return .success(())
        case .success(let outcome): return .failure(.init(.failed, "handler failed again (\(outcome))"))
        }
    }
}

let daemonVersion = "0.1.0"
