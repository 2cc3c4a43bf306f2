// An in-memory host for plugin unit tests: it drives a plugin through the
// same C ABI the daemon uses, and records what the plugin did.
import CEventdPlugin
import EventdPluginSDK
import Foundation
import Glibc

/// An event a plugin produced through the host.
public struct ProducedEvent: Sendable, Equatable {
    public var topic: String
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [Header]

    public var valueString: String { value.map { String(decoding: $0, as: UTF8.self) } ?? "" }

    /// This record with its envelope's `occurredAt` blanked: what must be the
    /// same when an event is handled again (a follow-up occurs when produced).
    public var timeless: ProducedEvent {
        var copy = self
        copy.value = value.map { Array(String(decoding: $0, as: UTF8.self)
            .replacingOccurrences(of: #""occurredAt":"[^"]*""#, with: #""occurredAt":"""#, options: .regularExpression).utf8) }
        return copy
    }
    public func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value.map { String(decoding: $0, as: UTF8.self) }
    }
}

/// A host with in-memory state. Not thread-safe: drive it from one thread.
public final class TestHost: @unchecked Sendable {
    public var state: [[UInt8]: [UInt8]] = [:]
    public var produced: [ProducedEvent] = []
    public var logs: [(level: Int, message: String, fields: [String: String])] = []
    /// The lowest level `log_enabled` says is kept (a `dte_log_level`'s raw value; 0, debug: every line).
    public var keptLogLevel = 0
    /// The `struct_size` the host table reports: lower it to `DTE_HOST_API_V1_SIZE` to stand for a
    /// daemon older than the fields appended since.
    public var apiStructSize = UInt32(MemoryLayout<dte_host_api>.size) {
        didSet {
            api.struct_size = apiStructSize
            boundAPI?.pointee.struct_size = apiStructSize
        }
    }
    /// When set, `produce` fails with this host code.
    public var failProduce: Int32?
    /// Emulate the daemon's idempotency ledger: a transactional plugin's
    /// event whose id was handled `.ok` before in its consumer group is
    /// skipped, `.ok`, without calling the plugin (counted in `duplicates`),
    /// as the daemon does. Off by default, so that a test can hand an event
    /// over twice to check the plugin's own idempotency (what happens when
    /// the ledger entry has expired, or for a plugin that is not transactional).
    public var emulatesLedger = false
    /// Event ids skipped by the emulated ledger.
    public private(set) var duplicates = 0
    private var ledger: Set<[String]> = []

    private var api = dte_host_api()
    private var plugin: UnsafePointer<dte_plugin>?
    private var instance: UnsafeMutableRawPointer?
    private var boundAPI: UnsafeMutablePointer<dte_host_api>?

    public init() {
        api.abi_major = DTE_ABI_MAJOR
        api.struct_size = UInt32(MemoryLayout<dte_host_api>.size)
        api.log = { ctx, level, message, fields, count in
            let host = Unmanaged<TestHost>.fromOpaque(ctx!).takeUnretainedValue()
            var map: [String: String] = [:]
            for i in 0..<count { map[String(cString: fields![i].name)] = String(cString: fields![i].value) }
            host.logs.append((Int(level.rawValue), String(cString: message!), map))
        }
        api.produce = { ctx, topic, key, keyLen, value, valueLen, headers, count in
            let host = Unmanaged<TestHost>.fromOpaque(ctx!).takeUnretainedValue()
            if let code = host.failProduce { return code }
            guard let topic else { return DTE_HOST_E_INVALID }
            var list: [Header] = []
            for i in 0..<count {
                let h = headers![i]
                list.append(Header(String(cString: h.name), h.value.map { Array(UnsafeRawBufferPointer(start: $0, count: h.value_len)) }))
            }
            host.produced.append(ProducedEvent(
                topic: String(cString: topic),
                key: key.map { Array(UnsafeRawBufferPointer(start: $0, count: keyLen)) },
                value: value.map { Array(UnsafeRawBufferPointer(start: $0, count: valueLen)) },
                headers: list))
            return DTE_HOST_OK
        }
        api.state_get = { ctx, key, keyLen, buf, cap, outLen in
            let host = Unmanaged<TestHost>.fromOpaque(ctx!).takeUnretainedValue()
            let k = Array(UnsafeRawBufferPointer(start: key, count: keyLen))
            guard let value = host.state[k] else { return DTE_HOST_NOT_FOUND }
            outLen?.pointee = value.count
            guard value.count <= cap else { return DTE_HOST_E_TOO_SMALL }
            value.withUnsafeBytes { if $0.count > 0 { buf!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
            return DTE_HOST_OK
        }
        api.state_put = { ctx, key, keyLen, value, valueLen in
            let host = Unmanaged<TestHost>.fromOpaque(ctx!).takeUnretainedValue()
            host.state[Array(UnsafeRawBufferPointer(start: key, count: keyLen))] =
                Array(UnsafeRawBufferPointer(start: value, count: valueLen))
            return DTE_HOST_OK
        }
        api.state_delete = { ctx, key, keyLen in
            let host = Unmanaged<TestHost>.fromOpaque(ctx!).takeUnretainedValue()
            let removed = host.state.removeValue(forKey: Array(UnsafeRawBufferPointer(start: key, count: keyLen)))
            return removed == nil ? DTE_HOST_NOT_FOUND : DTE_HOST_OK
        }
        api.log_enabled = { ctx, level in
            let host = Unmanaged<TestHost>.fromOpaque(ctx!).takeUnretainedValue()
            return Int(level.rawValue) >= host.keptLogLevel ? 1 : 0
        }
    }

    /// The loaded plugin's registration struct.
    public var descriptor: dte_plugin { plugin!.pointee }

    /// Loads a plugin from its registration struct (what its entry returns)
    /// and runs its `init` with `settings` as the JSON config text.
    /// - Throws: `TestHostError` with the plugin's reason when init fails.
    public func load(_ registration: UnsafeRawPointer, settings: String = "{}") throws {
        let plugin = registration.assumingMemoryBound(to: dte_plugin.self)
        guard plugin.pointee.abi_major == DTE_ABI_MAJOR else { throw TestHostError("ABI major \(plugin.pointee.abi_major)") }
        self.plugin = plugin
        var err = [CChar](repeating: 0, count: 1024)
        var instance: UnsafeMutableRawPointer?
        let ctx = Unmanaged.passUnretained(self).toOpaque()
        let rc = withUnsafePointer(to: &api) { apiPtr in
            settings.withCString { plugin.pointee.`init`(apiPtr, ctx, $0, strlen($0), &instance, &err, err.count) }
        }
        guard rc == 0 else { throw TestHostError(Self.text(err)) }
        self.instance = instance
    }

    /// A `PluginHost` whose calls land in this test host, for driving a plugin
    /// type directly (an image registers one plugin type, so a second type in
    /// a test binary cannot go through `load`). No transaction is emulated.
    public func pluginHost() -> PluginHost {
        if boundAPI == nil {
            boundAPI = .allocate(capacity: 1)
            boundAPI!.initialize(to: api)
        }
        return PluginHost(api: boundAPI!, ctx: Unmanaged.passUnretained(self).toOpaque())
    }

    deinit { boundAPI?.deallocate() }

    /// The text of a NUL-terminated message buffer.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Hands one event to the plugin through the ABI. For a transactional
    /// plugin, state writes and produced events of a retry or reject are
    /// rolled back, as the daemon does.
    /// With `emulatesLedger`, a transactional plugin's repeated event id is skipped.
    public func handle(_ event: Event) -> Outcome {
        let transactional = descriptor.flags & DTE_PLUGIN_TRANSACTIONAL != 0
        let entry = [event.consumerGroup, event.id]
        if transactional, emulatesLedger, !event.id.isEmpty, ledger.contains(entry) {
            duplicates += 1
            return .ok
        }
        let (stateBefore, producedBefore) = (state, produced)
        let outcome = deliver(event)
        if transactional, outcome != .ok {
            state = stateBefore
            produced = producedBefore
        }
        if transactional, outcome == .ok, !event.id.isEmpty { ledger.insert(entry) }
        return outcome
    }

    private func deliver(_ event: Event) -> Outcome {
        var err = [CChar](repeating: 0, count: 4096)
        var names: [UnsafeMutablePointer<CChar>] = []
        defer { names.forEach { free($0) } }
        let headerNames = event.headers.map { h -> UnsafeMutablePointer<CChar> in let n = strdup(h.name)!; names.append(n); return n }
        let outcome: dte_outcome = withBytes(event.key) { key, keyLen in
            withBytes(event.value) { value, valueLen in
                withHeaderValues(event.headers, names: headerNames) { headers in
                    event.topic.withCString { topic in
                        event.name.withCString { name in
                            event.id.withCString { id in
                                event.consumerGroup.withCString { group in
                                    var c = dte_event(
                                        struct_size: UInt32(MemoryLayout<dte_event>.size), topic: topic,
                                        partition: event.partition, offset: event.offset, timestamp_ms: event.timestampMs,
                                        key: key, key_len: keyLen, value: value, value_len: valueLen,
                                        headers: headers.baseAddress, header_count: headers.count,
                                        event_name: name, event_id: id, consumer_group: group,
                                        attempt: UInt32(event.attempt), attempts_left: UInt32(event.attemptsLeft))
                                    return plugin!.pointee.handle(instance, &c, &err, err.count)
                                }
                            }
                        }
                    }
                }
            }
        }
        let reason = Self.text(err)
        switch outcome {
        case DTE_OK: return .ok
        case DTE_RETRY: return .retry(reason)
        default: return .reject(reason)
        }
    }

    /// Calls the plugin's `shutdown`.
    public func shutdown() {
        if let plugin, let instance { plugin.pointee.shutdown(instance) }
        instance = nil
    }

    /// A state value as a string.
    public func stateString(_ key: String) -> String? {
        state[Array(key.utf8)].map { String(decoding: $0, as: UTF8.self) }
    }
}

public struct TestHostError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

private func withBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> R) -> R {
    guard let bytes else { return body(nil, 0) }
    return bytes.withUnsafeBytes { body($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), $0.count) }
}

private func withHeaderValues<R>(_ headers: [Header], names: [UnsafeMutablePointer<CChar>],
                                 _ body: (UnsafeBufferPointer<dte_header>) -> R) -> R {
    let flat = headers.map { $0.value ?? [] }
    var storage: [UnsafeMutableRawPointer] = []
    defer { storage.forEach { free($0) } }
    var list: [dte_header] = []
    for (i, h) in headers.enumerated() {
        guard h.value != nil else { list.append(dte_header(name: names[i], value: nil, value_len: 0)); continue }
        let p = malloc(max(flat[i].count, 1))!
        flat[i].withUnsafeBytes { if $0.count > 0 { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        storage.append(p)
        list.append(dte_header(name: names[i], value: p, value_len: flat[i].count))
    }
    return list.withUnsafeBufferPointer(body)
}
