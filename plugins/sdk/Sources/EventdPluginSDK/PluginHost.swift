// The host's functions as seen from a Swift plugin.
import CEventdPlugin
import Glibc

/// Log levels the host understands.
public enum LogLevel: Sendable {
    case debug, info, warning, error
    var c: dte_log_level {
        switch self {
        case .debug: DTE_LOG_DEBUG
        case .info: DTE_LOG_INFO
        case .warning: DTE_LOG_WARNING
        case .error: DTE_LOG_ERROR
        }
    }
}

/// A host function failed.
public struct HostError: Error, CustomStringConvertible, Equatable {
    public let code: Int32
    public let operation: String
    public var description: String { "host \(operation) failed (code \(code))" }
}

/// The functions the daemon hands a plugin at `init`. Safe to use from any thread.
public final class PluginHost: @unchecked Sendable {
    let api: UnsafePointer<dte_host_api>
    let ctx: UnsafeMutableRawPointer?

    public init(api: UnsafePointer<dte_host_api>, ctx: UnsafeMutableRawPointer?) {
        self.api = api
        self.ctx = ctx
    }

    /// Writes a structured log line through the daemon's logger.
    /// The fields are evaluated only when the host keeps lines at `level`.
    public func log(_ level: LogLevel, _ message: String, _ fields: @autoclosure () -> [String: String] = [:]) {
        guard isLogged(level) else { return }
        let pairs = fields().sorted { $0.key < $1.key }
        var cStrings: [UnsafeMutablePointer<CChar>] = []
        defer { cStrings.forEach { free($0) } }
        var cFields: [dte_field] = []
        for (name, value) in pairs {
            let n = strdup(name)!, v = strdup(value)!
            cStrings.append(n); cStrings.append(v)
            cFields.append(dte_field(name: n, value: v))
        }
        message.withCString { m in
            cFields.withUnsafeBufferPointer { api.pointee.log(ctx, level.c, m, $0.baseAddress, $0.count) }
        }
    }

    /// Whether the host keeps log lines at `level` (the daemon's log level; always true with a
    /// host older than the question, which drops them itself).
    public func isLogged(_ level: LogLevel) -> Bool {
        guard api.pointee.struct_size >= Self.logEnabledEnd, let logEnabled = api.pointee.log_enabled else { return true }
        return logEnabled(ctx, level.c) != 0
    }

    private static let logEnabledEnd = UInt32(MemoryLayout<dte_host_api>.offset(of: \dte_host_api.log_enabled)!
                                              + MemoryLayout<UnsafeRawPointer>.size)

    /// Queues an event on the daemon's shared producer. From inside `handle`,
    /// the source event is committed only once this one is acknowledged.
    /// - Throws: `HostError` when the host could not queue it.
    public func produce(topic: String, key: [UInt8]?, value: [UInt8]?, headers: [Header] = []) throws {
        let rc = withCHeaders(headers) { cHeaders, count in
            topic.withCString { t in
                withOptionalBytes(key) { k, kl in
                    withOptionalBytes(value) { v, vl in
                        api.pointee.produce(ctx, t, k, kl, v, vl, cHeaders, count)
                    }
                }
            }
        }
        if rc != DTE_HOST_OK { throw HostError(code: rc, operation: "produce") }
    }

    /// Reads a value of the plugin's persistent store; `nil` when absent.
    public func state(_ key: String) throws -> [UInt8]? {
        var key = key
        return try key.withUTF8 { k in
            // Most values fit a scratch buffer on the stack: one host call and one copy. (The payment
            // wallet, 6 KB, took two calls, two zero-filled buffers and a third copy before.)
            var length = 0
            let first = try withUnsafeTemporaryAllocation(byteCount: Self.scratchBytes, alignment: 1) { scratch -> [UInt8]? in
                let rc = api.pointee.state_get(ctx, k.baseAddress, k.count, scratch.baseAddress, scratch.count, &length)
                switch rc {
                case DTE_HOST_OK: return Array(UnsafeRawBufferPointer(rebasing: scratch.prefix(length)))
                case DTE_HOST_NOT_FOUND:
                    length = 0
                    return nil
                case DTE_HOST_E_TOO_SMALL where length > scratch.count: return nil
                default: throw HostError(code: rc, operation: "state_get")
                }
            }
            if let first { return first }
            // Larger: a buffer of the size the host said, again until it fits (the value may grow meanwhile).
            while length > 0 {
                var rc = DTE_HOST_OK
                let needed = length
                let value = [UInt8](unsafeUninitializedCapacity: needed) { buffer, count in
                    rc = api.pointee.state_get(ctx, k.baseAddress, k.count, buffer.baseAddress, needed, &length)
                    count = rc == DTE_HOST_OK ? length : 0
                }
                switch rc {
                case DTE_HOST_OK: return value
                case DTE_HOST_NOT_FOUND: return nil
                case DTE_HOST_E_TOO_SMALL where length > needed: continue
                default: throw HostError(code: rc, operation: "state_get")
                }
            }
            return nil
        }
    }

    /// The stack buffer a state read tries first.
    private static let scratchBytes = 16 << 10

    /// Reads a UTF-8 string value of the store.
    public func stateString(_ key: String) throws -> String? {
        try state(key).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Writes a value into the plugin's persistent store.
    public func setState(_ key: String, _ value: [UInt8]) throws {
        let rc = Array(key.utf8).withUnsafeBytes { k in
            value.withUnsafeBytes { v in api.pointee.state_put(ctx, k.baseAddress, k.count, v.baseAddress, v.count) }
        }
        if rc != DTE_HOST_OK { throw HostError(code: rc, operation: "state_put") }
    }

    public func setState(_ key: String, _ value: String) throws { try setState(key, Array(value.utf8)) }

    /// Removes a key of the plugin's persistent store.
    public func deleteState(_ key: String) throws {
        let rc = Array(key.utf8).withUnsafeBytes { k in api.pointee.state_delete(ctx, k.baseAddress, k.count) }
        if rc != DTE_HOST_OK && rc != DTE_HOST_NOT_FOUND { throw HostError(code: rc, operation: "state_delete") }
    }
}

func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> R) -> R {
    guard let bytes else { return body(nil, 0) }
    return bytes.withUnsafeBytes { body($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), $0.count) }
}

func withCHeaders<R>(_ headers: [Header], _ body: (UnsafePointer<dte_header>?, Int) -> R) -> R {
    var names: [UnsafeMutablePointer<CChar>] = []
    var values: [UnsafeMutableRawPointer?] = []
    defer {
        names.forEach { free($0) }
        values.forEach { free($0) }
    }
    var cHeaders: [dte_header] = []
    for header in headers {
        let name = strdup(header.name)!
        names.append(name)
        var copy: UnsafeMutableRawPointer? = nil
        if let value = header.value {
            copy = malloc(max(value.count, 1))
            value.withUnsafeBytes { if $0.count > 0 { copy!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        }
        values.append(copy)
        cHeaders.append(dte_header(name: name, value: copy, value_len: header.value?.count ?? 0))
    }
    return cHeaders.withUnsafeBufferPointer { body($0.baseAddress, $0.count) }
}
