// The set of loaded plugins and the rules that decide which may load.
import EventdRouting
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
    public private(set) var plugins: [PluginInstance] = []
    public private(set) var refusals: [(path: String, refusal: PluginRefusal)] = []
    let imageDir: String
    let stateDir: String
    let logger: Logger
    weak var sink: (any FollowUpSink)?
    let catalog: EventCatalog

    public init(catalog: EventCatalog, imageDir: String, stateDir: String, logger: Logger, sink: (any FollowUpSink)?) {
        self.catalog = catalog
        self.imageDir = imageDir
        self.stateDir = stateDir
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
                refusals.append((path, error))
                logger.error("plugin refused: \(error)", metadata: ["path": "\(path)"])
            }
        }
    }

    /// Loads one plugin file and initialises it.
    /// - Returns: the instance, or nil when its configuration disables it.
    /// - Throws: `PluginRefusal` saying why it cannot load.
    @discardableResult
    public func load(path: String, options: (String) -> PluginOptions) throws(PluginRefusal) -> PluginInstance? {
        let image = try PluginImage.load(path: path, imageDir: imageDir)
        if let other = plugins.first(where: { $0.name == image.name }) {
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
            for other in plugins where !(image.sharesClaims && other.image.sharesClaims) {
                if other.claims.contains(where: { $0.event == claim.event && $0.group == claim.group }) {
                    throw .duplicateClaim(name: image.name, event: claim.event, group: claim.group, heldBy: other.name)
                }
            }
        }
        let state: StateStore
        do {
            state = try StateStore(path: "\(stateDir)/plugins/\(image.name)/state.sqlite")
        } catch {
            throw .badConfiguration(name: image.name, reason: "state store: \(error)")
        }
        let context = HostContext(pluginName: image.name, state: state, logger: logger, sink: sink)
        let instance = try PluginInstance(image: image, context: context, settingsJSON: opts.settingsJSON, claims: claims)
        plugins.append(instance)
        logger.info("plugin loaded", metadata: [
            "plugin": "\(image.name)", "version": "\(image.version)", "path": "\(path)",
            "claims": "\(claims.map { "\($0.event)@\($0.group)" }.joined(separator: ","))",
        ])
        return instance
    }

    /// Shuts every plugin down, in reverse load order.
    public func shutdownAll() {
        for plugin in plugins.reversed() { plugin.shutdown() }
        plugins.removeAll()
    }
}
