// The set of loaded plugins and the rules that decide which may load.
import EventdRouting
import EventdStore
import Foundation
import Logging

/// How configuration shapes one plugin (from `plugins.d/<name>.toml`).
public struct PluginOptions: Sendable, Equatable {
    public var enabled = true
    /// The plugin's `[settings]` table as a JSON object.
    public var settingsJSON = "{}"
    /// Declared consumer group → the group actually used.
    public var groupOverrides: [String: String] = [:]
    /// Topics for wildcard ("*") claims; nil means every catalog topic.
    public var wildcardTopics: [String]?
    /// Per-event topic overrides; events not listed use the catalog's topics.
    public var eventTopics: [String: [String]] = [:]
    public init() {}
}

/// Loads plugins, enforces uniqueness of names and claims, owns the instances.
public final class PluginRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var pluginStorage: [PluginInstance] = []
    private var refusalStorage: [(path: String, refusal: PluginRefusal)] = []

    /// The loaded plugins, in load order.
    public private(set) var plugins: [PluginInstance] {
        get { lock.withLock { pluginStorage } }
        set { lock.withLock { pluginStorage = newValue } }
    }

    /// Files that were refused, with the reason (the latest attempt per file).
    public private(set) var refusals: [(path: String, refusal: PluginRefusal)] {
        get { lock.withLock { refusalStorage } }
        set { lock.withLock { refusalStorage = newValue } }
    }
    let imageDir: String
    let stores: StoreLocation
    let logger: Logger
    weak var sink: (any FollowUpSink)?
    let catalog: EventCatalog

    /// - Parameter stores: where plugin stores live (default: SQLite files under `stateDir`).
    public init(catalog: EventCatalog, imageDir: String, stateDir: String, stores: StoreLocation? = nil,
                logger: Logger, sink: (any FollowUpSink)?) {
        self.catalog = catalog
        self.imageDir = imageDir
        self.stores = stores ?? .sqlite(stateDir: stateDir)
        self.logger = logger
        self.sink = sink
    }

    /// Loads every `*.so` in `directory` in name order. A refused plugin is
    /// logged and recorded; the others load regardless.
    public func loadDirectory(_ directory: String, options: (String) -> PluginOptions) {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".so") }.sorted()
        } catch {
            logger.error("cannot read the plugin directory", metadata: ["dir": "\(directory)", "error": "\(error.localizedDescription)"])
            return
        }
        for file in files {
            let path = "\(directory)/\(file)"
            do {
                _ = try load(path: path, options: options)
            } catch {
                recordRefusal(path: path, error)
            }
        }
    }

    /// Loads one plugin file, initialises it and adds it to the registry.
    /// - Returns: the instance, or nil when its configuration disables it.
    /// - Throws: `PluginRefusal` saying why it cannot load.
    @discardableResult
    public func load(path: String, options: (String) -> PluginOptions) throws(PluginRefusal) -> PluginInstance? {
        guard let instance = try prepare(path: path, options: options, replacing: nil) else { return nil }
        lock.withLock { pluginStorage.append(instance) }
        logLoaded(instance)
        return instance
    }

    /// Loads and initialises a plugin without adding it: the caller swaps it in
    /// with `replace` or adds it with `add`. With `replacing`, the new build
    /// must keep the old one's name, and its claims are checked against every
    /// other plugin but the one it replaces.
    /// - Returns: nil when configuration disables the plugin.
    public func prepare(path: String, options: (String) -> PluginOptions, replacing old: PluginInstance?) throws(PluginRefusal) -> PluginInstance? {
        let fingerprint = PluginFingerprint(path: path)
        let image = try PluginImage.load(path: path, imageDir: imageDir)
        let others = lock.withLock { pluginStorage.filter { $0 !== old } }
        if let old, old.name != image.name {
            throw .invalidRegistration(path: path, reason: "the new build is named '\(image.name)', not '\(old.name)'")
        }
        if let other = others.first(where: { $0.name == image.name }) {
            throw .duplicateName(name: image.name, path: path, loadedFrom: other.image.sourcePath)
        }
        let opts = options(image.name)
        guard opts.enabled else {
            logger.info("plugin disabled by configuration", metadata: ["plugin": "\(image.name)", "path": "\(path)"])
            return nil
        }
        var claims: [(event: String, group: String)] = []
        for (event, group) in image.subscriptions {
            let canonical: String
            if event == "*" {
                canonical = "*"
            } else {
                guard let known = catalog.event(named: event) else {
                    throw .badConfiguration(name: image.name, reason: "subscribes to '\(event)', which is not in the event catalog")
                }
                canonical = known.name
            }
            claims.append((canonical, opts.groupOverrides[group] ?? group))
        }
        for claim in claims {
            for other in others where !(image.sharesClaims && other.image.sharesClaims) {
                if other.claims.contains(where: { $0.event == claim.event && $0.group == claim.group }) {
                    throw .duplicateClaim(name: image.name, event: claim.event, group: claim.group, heldBy: other.name)
                }
            }
        }
        let state: any PluginStore
        if let old {
            state = old.context.state
        } else {
            do {
                // A database that is down now (it starts after the daemon, a failover): the plugin loads, the
                // daemon reports degraded and its events wait in Kafka until the store migrates and answers.
                state = try stores.open(plugin: image.name, waitForServer: true)
            } catch {
                throw .badConfiguration(name: image.name, reason: "state store: \(error)")
            }
        }
        let context = HostContext(pluginName: image.name, state: state, logger: logger, sink: sink)
        let instance = try PluginInstance(image: image, context: context, settingsJSON: opts.settingsJSON, claims: claims,
                                          options: opts, fingerprint: fingerprint)
        return instance
    }

    /// Puts `new` where `old` was. The caller shuts `old` down once no
    /// consumer can still call it.
    public func replace(_ old: PluginInstance, with new: PluginInstance) {
        lock.withLock {
            if let index = pluginStorage.firstIndex(where: { $0 === old }) { pluginStorage[index] = new } else { pluginStorage.append(new) }
        }
        logLoaded(new, replacing: old)
    }

    public func add(_ instance: PluginInstance) {
        lock.withLock { pluginStorage.append(instance) }
        logLoaded(instance)
    }

    /// Takes a plugin out of the registry (the caller shuts it down).
    public func remove(_ instance: PluginInstance) {
        lock.withLock { pluginStorage.removeAll { $0 === instance } }
    }

    public func recordRefusal(path: String, _ refusal: PluginRefusal) {
        lock.withLock {
            refusalStorage.removeAll { $0.path == path }
            refusalStorage.append((path, refusal))
        }
        logger.error("plugin refused: \(refusal)", metadata: ["path": "\(path)"])
    }

    public func clearRefusal(path: String) {
        lock.withLock { refusalStorage.removeAll { $0.path == path } }
    }

    private func logLoaded(_ instance: PluginInstance, replacing old: PluginInstance? = nil) {
        var metadata: Logger.Metadata = [
            "plugin": "\(instance.name)", "version": "\(instance.version)", "path": "\(instance.image.sourcePath)",
            "claims": "\(instance.claims.map { "\($0.event)@\($0.group)" }.joined(separator: ","))",
        ]
        if let old { metadata["previous_version"] = "\(old.version)" }
        logger.info(old == nil ? "plugin loaded" : "plugin replaced", metadata: metadata)
    }

    /// Shuts every plugin down, in reverse load order.
    public func shutdownAll() {
        let all = lock.withLock { () -> [PluginInstance] in
            let all = pluginStorage
            pluginStorage.removeAll()
            return all
        }
        for plugin in all.reversed() { plugin.shutdown() }
    }
}

/// Identifies one build of a plugin file: a changed file gets a new fingerprint.
public struct PluginFingerprint: Sendable, Equatable {
    public let size: Int64
    public let modified: Int64
    public let inode: UInt64

    public init(path: String) {
        var st = stat()
        if stat(path, &st) == 0 {
            size = Int64(st.st_size)
            modified = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
            inode = UInt64(st.st_ino)
        } else {
            size = -1
            modified = -1
            inode = 0
        }
    }
}
