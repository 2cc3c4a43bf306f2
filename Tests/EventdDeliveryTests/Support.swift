// Real plugins for delivery's unit tests: fixtures built by `make fixtures`, loaded through the registry (real dlopen).
import EventdPluginHost
import EventdRouting
import Foundation
import Logging

enum Fixtures {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static var dir: String { ProcessInfo.processInfo.environment["EVENTD_FIXTURE_STAGE"] ?? "\(repo)/.build-plugins/fixtures" }

    static let catalog = try! EventCatalog([
        CatalogEntry(name: "mission.started", topics: ["mission-events"]),
        CatalogEntry(name: "mission.completed", topics: ["mission.completed", "mission-events"]),
        CatalogEntry(name: "user.registered", topics: ["user-events"]),
    ])

    struct Missing: Error, CustomStringConvertible { let description: String }

    /// Loads fixture plugins by name ("counter", "tx-counter") into a fresh registry with its own state directory.
    static func load(_ names: String...) throws -> [PluginInstance] {
        let dir = NSTemporaryDirectory() + "eventd-delivery-\(UUID().uuidString.prefix(8))"
        let registry = PluginRegistry(catalog: catalog, imageDir: "\(dir)/images", stateDir: "\(dir)/state",
                                      logger: Logger(label: "delivery-test"), sink: nil)
        return try names.map { name in
            let path = "\(Self.dir)/libfixture-\(name).so"
            guard FileManager.default.fileExists(atPath: path) else { throw Missing(description: "\(path): run `make fixtures` first") }
            guard let plugin = try registry.load(path: path, options: { _ in PluginOptions() }) else {
                throw Missing(description: "\(path) did not load")
            }
            return plugin
        }
    }
}
