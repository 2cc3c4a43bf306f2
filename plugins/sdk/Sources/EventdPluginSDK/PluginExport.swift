// Builds the C registration struct for a Swift plugin type.
import CEventdPlugin
import Glibc

/// Turns an `EventPlugin` type into the ABI's `dte_plugin`.
///
/// Every plugin image links its own copy of this SDK, so the registered type
/// lives in this image's globals and never meets another plugin's.
public enum PluginExport {
    nonisolated(unsafe) static var registered: (any EventPlugin.Type)?
    nonisolated(unsafe) static var descriptor: UnsafeMutablePointer<dte_plugin>?
    static let lock = PluginLock()

    /// Judges `json` as `type`'s `init` would see it, without creating an
    /// instance: the settings must parse, and a `SettingsChecking` type's
    /// `checkSettings` must accept them (any other type accepts them all).
    /// - Returns: nil when accepted, else the reason.
    public static func checkSettings<P: EventPlugin>(_ json: String, for type: P.Type) -> String? {
        do {
            let settings = try PluginSettings(json: json.isEmpty ? "{}" : json)
            try (type as? any SettingsChecking.Type)?.checkSettings(settings)
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Returns the registration struct for `type`, building it once.
    /// Call it from the plugin's `@_cdecl("devtrip_eventd_plugin_v1")` function.
    public static func register<P: EventPlugin>(_ type: P.Type) -> UnsafeRawPointer {
        lock.withLock {
            if let descriptor { return UnsafeRawPointer(descriptor) }
            registered = type
            let subs = UnsafeMutablePointer<dte_subscription>.allocate(capacity: max(type.subscriptions.count, 1))
            for (index, sub) in type.subscriptions.enumerated() {
                subs[index] = dte_subscription(event_name: strdup(sub.eventName), consumer_group: strdup(sub.consumerGroup))
            }
            let plugin = UnsafeMutablePointer<dte_plugin>.allocate(capacity: 1)
            plugin.initialize(to: dte_plugin(
                abi_major: DTE_ABI_MAJOR,
                struct_size: UInt32(MemoryLayout<dte_plugin>.size),
                name: strdup(type.name),
                version: strdup(type.version),
                flags: (type.sharesClaims ? DTE_PLUGIN_SHARED_CLAIMS : 0) | (type.transactional ? DTE_PLUGIN_TRANSACTIONAL : 0),
                subscriptions: subs,
                subscription_count: type.subscriptions.count,
                init: pluginInit,
                handle: pluginHandle,
                shutdown: pluginShutdown,
                check_settings: pluginCheckSettings))
            descriptor = plugin
            return UnsafeRawPointer(plugin)
        }
    }
}

/// A plugin that can judge its `[settings]` without being started:
/// `devtrip-eventd --check-config` asks it (through the ABI's
/// `check_settings`) before the daemon runs. A plugin type that does not
/// conform accepts every settings table at check time; `init` still decides.
public protocol SettingsChecking: EventPlugin {
    /// - Throws: an error whose description tells the admin what is wrong.
    static func checkSettings(_ settings: PluginSettings) throws
}

/// A tiny mutex over pthread, so the SDK needs no Foundation in its hot path.
final class PluginLock: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    func withLock<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}

/// Copies `message` into a C buffer, truncating on a UTF-8 boundary.
func writeError(_ message: String, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int) {
    guard let buffer, capacity > 0 else { return }
    var bytes = Array(message.utf8)
    if bytes.count >= capacity {
        var end = capacity - 1
        while end > 0 && (bytes[end] & 0xC0) == 0x80 { end -= 1 }
        bytes = Array(bytes[..<end])
    }
    bytes.withUnsafeBufferPointer { src in
        buffer.withMemoryRebound(to: UInt8.self, capacity: capacity) { dst in
            dst.update(from: src.baseAddress!, count: src.count)
            dst[src.count] = 0
        }
    }
}

private func pluginInit(_ api: UnsafePointer<dte_host_api>?, _ ctx: UnsafeMutableRawPointer?,
                        _ config: UnsafePointer<CChar>?, _ configLength: Int,
                        _ instance: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                        _ err: UnsafeMutablePointer<CChar>?, _ errCap: Int) -> Int32 {
    guard let api, let instance, let type = PluginExport.registered else {
        writeError("plugin init called without a host table", err, errCap)
        return -1
    }
    guard api.pointee.abi_major == DTE_ABI_MAJOR else {
        writeError("host ABI \(api.pointee.abi_major) is not \(DTE_ABI_MAJOR)", err, errCap)
        return -1
    }
    let json = config.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: configLength), as: UTF8.self) } ?? "{}"
    do {
        let settings = try PluginSettings(json: json.isEmpty ? "{}" : json)
        let plugin = try type.init(host: PluginHost(api: api, ctx: ctx), settings: settings)
        instance.pointee = Unmanaged.passRetained(plugin as AnyObject).toOpaque()
        return 0
    } catch {
        writeError("\(error)", err, errCap)
        return -1
    }
}

private func pluginHandle(_ instance: UnsafeMutableRawPointer?, _ event: UnsafePointer<dte_event>?,
                          _ err: UnsafeMutablePointer<CChar>?, _ errCap: Int) -> dte_outcome {
    guard let instance, let event else {
        writeError("handle called without an instance or event", err, errCap)
        return DTE_REJECT
    }
    let plugin = Unmanaged<AnyObject>.fromOpaque(instance).takeUnretainedValue() as! any EventPlugin
    switch plugin.handle(Event(copying: event.pointee)) {
    case .ok:
        return DTE_OK
    case .retry(let reason):
        writeError(reason, err, errCap)
        return DTE_RETRY
    case .reject(let reason):
        writeError(reason, err, errCap)
        return DTE_REJECT
    }
}

private func pluginCheckSettings(_ config: UnsafePointer<CChar>?, _ configLength: Int,
                                 _ err: UnsafeMutablePointer<CChar>?, _ errCap: Int) -> Int32 {
    guard let type = PluginExport.registered else {
        writeError("check_settings called before the plugin was registered", err, errCap)
        return -1
    }
    let json = config.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: configLength), as: UTF8.self) } ?? "{}"
    guard let reason = PluginExport.checkSettings(json, for: type) else { return 0 }
    writeError(reason, err, errCap)
    return -1
}

private func pluginShutdown(_ instance: UnsafeMutableRawPointer?) {
    guard let instance else { return }
    let unmanaged = Unmanaged<AnyObject>.fromOpaque(instance)
    (unmanaged.takeUnretainedValue() as! any EventPlugin).shutdown()
    unmanaged.release()
}

extension Event {
    /// Copies a C event into Swift values (the C pointers die with the call).
    public init(copying e: dte_event) {
        func bytes(_ p: UnsafeRawPointer?, _ n: Int) -> [UInt8]? {
            guard let p else { return nil }
            return Array(UnsafeRawBufferPointer(start: p, count: n))
        }
        var headers: [Header] = []
        headers.reserveCapacity(e.header_count)
        for i in 0..<e.header_count {
            let h = e.headers[i]
            headers.append(Header(String(cString: h.name), bytes(h.value, h.value_len)))
        }
        self.init(topic: String(cString: e.topic), partition: e.partition, offset: e.offset, timestampMs: e.timestamp_ms,
                  key: bytes(e.key, e.key_len), value: bytes(e.value, e.value_len), headers: headers,
                  name: String(cString: e.event_name), id: e.event_id.map { String(cString: $0) } ?? "",
                  consumerGroup: String(cString: e.consumer_group))
        // A host older than the attempt fields: attempt 1, none left.
        if Int(e.struct_size) >= MemoryLayout<dte_event>.offset(of: \dte_event.attempts_left)! + MemoryLayout<UInt32>.size {
            attempt = max(1, Int(e.attempt))
            attemptsLeft = Int(e.attempts_left)
        }
    }
}
