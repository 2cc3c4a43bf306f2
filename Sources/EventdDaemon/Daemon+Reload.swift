// Reloading plugins without losing events: plugin-reload and reload.
import EventdConfig
import EventdControl
import EventdDelivery
import EventdPluginHost
import Foundation

extension Daemon {
    func reloadPlugin(named name: String) throws(ControlError) -> PluginReloadReport {
        try holdingControlLock { () throws(ControlError) -> PluginReloadReport in
            guard let registry, let old = registry.plugins.first(where: { $0.name == name }) else {
                throw ControlError(.refused, "no plugin named '\(name)' is loaded (see plugin-list)")
            }
            return try reload(old, path: old.image.sourcePath, options: Self.pluginOptions(name, configuration))
        }
    }

    /// Loads a new build beside `old`, swaps it in between batches, then shuts `old` down.
    /// - Throws: `ControlError` on any refusal; `old` then keeps serving.
    func reload(_ old: PluginInstance, path: String, options: PluginOptions, notify: Bool = true) throws(ControlError) -> PluginReloadReport {
        guard let registry else { throw ControlError(.failed, "the daemon is not running") }
        if notify { notifier.reloading() }
        defer { if notify { notifier.ready(status: statusLine()) } }
        let started = ContinuousClock.now
        let prepared: PluginInstance?
        do {
            prepared = try registry.prepare(path: path, options: { _ in options }, replacing: old)
        } catch {
            registry.recordRefusal(path: path, error)
            metrics.reload(plugin: old.name, succeeded: false)
            throw ControlError(.failed, "\(error); version \(old.version) keeps serving")
        }
        guard let new = prepared else {
            throw ControlError(.refused, "plugin '\(old.name)' is disabled in its configuration; version \(old.version) keeps serving")
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
            throw ControlError(.failed, "routes for the new build of '\(old.name)': \(error); version \(old.version) keeps serving")
        }
        old.shutdown()
        let stall = held.values.max() ?? .zero
        reloadCount += 1
        metrics.reload(plugin: new.name, succeeded: true)
        if stall > longestReloadStall { longestReloadStall = stall }
        let total = ContinuousClock.now - started
        logger.notice("plugin reloaded", metadata: ["plugin": "\(new.name)", "version": "\(new.version)",
                                                    "previous_version": "\(old.version)", "stall": "\(stall)"])
        return PluginReloadReport(name: new.name, oldVersion: old.version, newVersion: new.version,
                                  stallMs: milliseconds(stall), reloadMs: milliseconds(total), groups: held.keys.sorted())
    }

    /// Settings that changed in `fresh` but take effect only at the next start.
    func restartRequired(by fresh: DaemonConfiguration) -> [String] {
        var names: [String] = []
        if fresh.brokers != configuration.brokers { names.append("kafka.brokers") }
        if fresh.catalog != configuration.catalog { names.append("events") }
        if fresh.consumerProperties != configuration.consumerProperties { names.append("kafka.consumer") }
        if fresh.producerProperties != configuration.producerProperties { names.append("kafka.producer") }
        if fresh.pluginDir != configuration.pluginDir { names.append("daemon.plugin_dir") }
        return names
    }

    func reloadAll() throws(ControlError) -> ReloadReport {
        try holdingControlLock { () throws(ControlError) -> ReloadReport in
            guard let registry else { throw ControlError(.failed, "the daemon is not running") }
            // One RELOADING=1 ... READY=1 around the whole reload, as systemd expects.
            notifier.reloading()
            defer { notifier.ready(status: statusLine()) }
            let fresh: DaemonConfiguration
            do {
                fresh = try ConfigurationLoader.load(path: configuration.file, overrides: overrides)
            } catch {
                throw ControlError(.failed, "configuration not reloaded: \(error)")
            }
            var report = ReloadReport()
            report.restartRequired = restartRequired(by: fresh)
            var kept = configuration
            kept.plugins = fresh.plugins
            configuration = kept

            let files = ((try? FileManager.default.contentsOfDirectory(atPath: configuration.pluginDir)) ?? [])
                .filter { $0.hasSuffix(".so") }.sorted().map { "\(configuration.pluginDir)/\($0)" }
            let current = registry.plugins
            for plugin in current where !files.contains(plugin.image.sourcePath) {
                registry.remove(plugin)
                _ = try? applyRoutes()
                plugin.shutdown()
                report.unloaded.append(plugin.name)
            }
            for path in files {
                if let plugin = current.first(where: { $0.image.sourcePath == path }) {
                    let options = Self.pluginOptions(plugin.name, configuration)
                    guard PluginFingerprint(path: path) != plugin.fingerprint || options != plugin.options else {
                        report.unchanged += 1
                        continue
                    }
                    do throws(ControlError) {
                        report.reloaded.append(try reload(plugin, path: path, options: options, notify: false))
                    } catch {
                        report.refused.append(RefusedFile(path: path, reason: error.message))
                    }
                } else {
                    load(path, into: registry, report: &report)
                }
            }
            logger.notice("reload done", metadata: ["reloaded": "\(report.reloaded.count)", "loaded": "\(report.loaded.count)",
                                                    "unloaded": "\(report.unloaded.count)", "refused": "\(report.refused.count)"])
            return report
        }
    }

    /// Loads a plugin file that appeared since the last reload.
    private func load(_ path: String, into registry: PluginRegistry, report: inout ReloadReport) {
        do {
            guard let instance = try registry.prepare(path: path, options: { [configuration] in Self.pluginOptions($0, configuration) },
                                                      replacing: nil) else { return }
            registry.add(instance)
            registry.clearRefusal(path: path)
            try applyRoutes()
            report.loaded.append(.init(name: instance.name, version: instance.version))
        } catch let refusal as PluginRefusal {
            if case .duplicateName = refusal, registry.refusals.contains(where: { $0.path == path }) { return }
            registry.recordRefusal(path: path, refusal)
            report.refused.append(RefusedFile(path: path, reason: refusal.description))
        } catch {
            report.refused.append(RefusedFile(path: path, reason: "\(error)"))
        }
    }
}
