import CEventdPlugin
import EventdPluginHost
import EventdRouting
import Foundation
import Logging
import Testing

/// Where `make plugins` and `make fixtures` put the built plugins.
enum Stage {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static var plugins: String { ProcessInfo.processInfo.environment["EVENTD_PLUGIN_STAGE"] ?? "\(repo)/.build-plugins/debug" }
    static var fixtures: String { ProcessInfo.processInfo.environment["EVENTD_FIXTURE_STAGE"] ?? "\(repo)/.build-plugins/fixtures" }

    /// The path of a built plugin; records an issue (run `make plugins fixtures`) when absent.
    static func plugin(_ file: String, in dir: String) throws -> String {
        let path = "\(dir)/\(file)"
        guard FileManager.default.fileExists(atPath: path) else {
            throw StageError(description: "\(path) is missing: run `make plugins fixtures` first (make test does)")
        }
        return path
    }
    static func fixture(_ name: String) throws -> String { try plugin("libfixture-\(name).so", in: fixtures) }
    static func real(_ name: String) throws -> String { try plugin("lib\(name).so", in: plugins) }
}

struct StageError: Error, CustomStringConvertible { let description: String }

let hostCatalog = try! EventCatalog([
    CatalogEntry(name: "mission.started", topics: ["mission-events"]),
    CatalogEntry(name: "mission.completed", topics: ["mission.completed", "mission-events"]),
    CatalogEntry(name: "user.registered", topics: ["auth-events", "user-events"]),
    CatalogEntry(name: "user.login", topics: ["auth-events"]),
])

/// Captures what plugins produce.
final class CapturingSink: FollowUpSink, @unchecked Sendable {
    struct Record { var plugin: String; var topic: String; var key: [UInt8]?; var value: [UInt8]?; var headers: [String: String] }
    private let lock = NSLock()
    private var storage: [Record] = []
    var records: [Record] { lock.withLock { storage } }

    func produce(plugin: String, call: HandlerCall?, topic: UnsafePointer<CChar>, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
                 headers: UnsafeBufferPointer<dte_header>) -> Int32 {
        var map: [String: String] = [:]
        for h in headers {
            map[String(cString: h.name)] = h.value.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: h.value_len), as: UTF8.self) }
        }
        lock.withLock {
            storage.append(Record(plugin: plugin, topic: String(cString: topic), key: key.map { Array($0) },
                                  value: value.map { Array($0) }, headers: map))
        }
        return DTE_HOST_OK
    }
}

/// A fresh registry over temporary directories.
func makeRegistry(sink: CapturingSink) -> (PluginRegistry, String) {
    let dir = NSTemporaryDirectory() + "eventd-host-\(UUID().uuidString)"
    let registry = PluginRegistry(catalog: hostCatalog, imageDir: "\(dir)/images", stateDir: "\(dir)/state",
                                  logger: Logger(label: "test"), sink: sink)
    return (registry, dir)
}

/// Calls a plugin's handle through the ABI as the dispatcher does.
func handle(_ plugin: PluginInstance, topic: String, event: String, id: String, key: String? = nil, value: String) -> (dte_outcome, String) {
    let error = UnsafeMutablePointer<CChar>.allocate(capacity: 4096)
    defer { error.deallocate() }
    error[0] = 0
    let keyBytes = key.map { Array($0.utf8) }
    let valueBytes = Array(value.utf8)
    let outcome = topic.withCString { t in
        event.withCString { e in
            id.withCString { i in
                "test-group".withCString { g in
                    valueBytes.withUnsafeBytes { v in
                        withKey(keyBytes) { k, kl in
                            var ev = dte_event(struct_size: UInt32(MemoryLayout<dte_event>.size), topic: t, partition: 0, offset: 0,
                                               timestamp_ms: -1, key: k, key_len: kl, value: v.baseAddress, value_len: v.count,
                                               headers: nil, header_count: 0, event_name: e, event_id: i, consumer_group: g,
                                               attempt: 1, attempts_left: 0)
                            return plugin.handle(&ev, call: HandlerCall(), error: error, capacity: 4096)
                        }
                    }
                }
            }
        }
    }
    return (outcome, String(cString: error))
}

private func withKey<R>(_ key: [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> R) -> R {
    guard let key else { return body(nil, 0) }
    return key.withUnsafeBytes { body($0.baseAddress, $0.count) }
}
