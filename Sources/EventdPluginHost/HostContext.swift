// The host side of `dte_host_api`: one context per plugin instance.
import CEventdPlugin
import EventdStore
import Foundation
import Logging

/// Where plugin-produced events go. The daemon implements it on its shared
/// producer and ties each produce to the event being handled on this thread.
public protocol FollowUpSink: AnyObject, Sendable {
    /// Called on the thread of `call`'s `handle` (nil when the plugin produces outside one).
    /// - Returns: a `DTE_HOST_*` code.
    func produce(plugin: String, call: HandlerCall?, topic: UnsafePointer<CChar>, key: UnsafeRawBufferPointer?,
                 value: UnsafeRawBufferPointer?, headers: UnsafeBufferPointer<dte_header>) -> Int32
}

/// What one plugin instance reaches through its host table.
public final class HostContext: @unchecked Sendable {
    public let pluginName: String
    public let state: any PluginStore
    let logger: Logger
    weak var sink: (any FollowUpSink)?

    public init(pluginName: String, state: any PluginStore, logger: Logger, sink: (any FollowUpSink)?) {
        self.pluginName = pluginName
        self.state = state
        self.logger = logger.tagged("plugin", pluginName)
        self.sink = sink
    }

    /// The one host table every plugin receives; `ctx` tells the plugins apart.
    nonisolated(unsafe) public static let table: UnsafeMutablePointer<dte_host_api> = {
        let table = UnsafeMutablePointer<dte_host_api>.allocate(capacity: 1)
        table.initialize(to: dte_host_api(
            abi_major: DTE_ABI_MAJOR,
            struct_size: UInt32(MemoryLayout<dte_host_api>.size),
            log: hostLog, produce: hostProduce, state_get: hostStateGet, state_put: hostStatePut,
            state_delete: hostStateDelete, log_enabled: hostLogEnabled))
        return table
    }()
}

/// A state call that found the store busy says nothing about the event: the call's reject becomes a retry.
private func noteBusy(_ error: Error) {
    if (error as? StoreError)?.isBusy == true { HandlerCall.current?.storeBusy = true }
}

@inline(__always) private func context(_ ctx: UnsafeMutableRawPointer?) -> HostContext? {
    ctx.map { Unmanaged<HostContext>.fromOpaque($0).takeUnretainedValue() }
}

private func logLevel(_ level: dte_log_level) -> Logger.Level {
    switch level {
    case DTE_LOG_DEBUG: .debug
    case DTE_LOG_INFO: .info
    case DTE_LOG_WARNING: .warning
    default: .error
    }
}

/// Whether a line at `level` is kept: the plugin then builds its fields (the payment plugin's
/// per-event debug line cost it a dictionary and a dozen string copies per event when dropped).
private func hostLogEnabled(_ ctx: UnsafeMutableRawPointer?, _ level: dte_log_level) -> Int32 {
    guard let host = context(ctx) else { return 0 }
    return logLevel(level) >= host.logger.logLevel ? 1 : 0
}

private func hostLog(_ ctx: UnsafeMutableRawPointer?, _ level: dte_log_level, _ message: UnsafePointer<CChar>?,
                     _ fields: UnsafePointer<dte_field>?, _ count: Int) {
    guard let host = context(ctx), let message else { return }
    let swiftLevel = logLevel(level)
    // Below the configured level: dropped before its fields are copied (a plugin that does not ask first).
    guard swiftLevel >= host.logger.logLevel else { return }
    var metadata: Logger.Metadata = [:]
    if let fields {
        for i in 0..<min(count, 64) {
            guard let name = fields[i].name, let value = fields[i].value else { continue }
            metadata[String(cString: name)] = .string(String(cString: value))
        }
    }
    // A line about an event handled with a traceparent carries its trace (journal field TRACE_ID).
    if metadata[TraceID.metadataKey] == nil, let event = HandlerCall.current?.event, let trace = TraceID.of(event) {
        metadata[TraceID.metadataKey] = .string(trace)
    }
    host.logger.log(level: swiftLevel, "\(String(cString: message))", metadata: metadata)
}

private func hostProduce(_ ctx: UnsafeMutableRawPointer?, _ topic: UnsafePointer<CChar>?,
                         _ key: UnsafeRawPointer?, _ keyLength: Int,
                         _ value: UnsafeRawPointer?, _ valueLength: Int,
                         _ headers: UnsafePointer<dte_header>?, _ headerCount: Int) -> Int32 {
    guard let host = context(ctx), let topic, topic.pointee != 0 else { return DTE_HOST_E_INVALID }
    guard headerCount == 0 || headers != nil else { return DTE_HOST_E_INVALID }
    if let headers {
        for i in 0..<headerCount where headers[i].name == nil { return DTE_HOST_E_INVALID }
    }
    guard let sink = host.sink else {
        host.logger.error("produce called but this host has no producer")
        return DTE_HOST_E_FAILED
    }
    return sink.produce(plugin: host.pluginName, call: HandlerCall.current, topic: topic,
                        key: key.map { UnsafeRawBufferPointer(start: $0, count: keyLength) },
                        value: value.map { UnsafeRawBufferPointer(start: $0, count: valueLength) },
                        headers: UnsafeBufferPointer(start: headers, count: headers == nil ? 0 : headerCount))
}

private func hostStateGet(_ ctx: UnsafeMutableRawPointer?, _ key: UnsafeRawPointer?, _ keyLength: Int,
                          _ buffer: UnsafeMutableRawPointer?, _ capacity: Int,
                          _ valueLength: UnsafeMutablePointer<Int>?) -> Int32 {
    guard let host = context(ctx), let key, let valueLength else { return DTE_HOST_E_INVALID }
    do {
        return try host.state.withValue(UnsafeRawBufferPointer(start: key, count: keyLength)) { value in
            guard let value else { valueLength.pointee = 0; return DTE_HOST_NOT_FOUND }
            valueLength.pointee = value.count
            guard value.count <= capacity else { return DTE_HOST_E_TOO_SMALL }
            if value.count > 0 {
                guard let buffer else { return DTE_HOST_E_INVALID }
                buffer.copyMemory(from: value.baseAddress!, byteCount: value.count)
            }
            return DTE_HOST_OK
        }
    } catch {
        noteBusy(error)
        host.logger.error("state_get failed: \(error)")
        return DTE_HOST_E_FAILED
    }
}

private func hostStatePut(_ ctx: UnsafeMutableRawPointer?, _ key: UnsafeRawPointer?, _ keyLength: Int,
                          _ value: UnsafeRawPointer?, _ valueLength: Int) -> Int32 {
    guard let host = context(ctx), let key, valueLength == 0 || value != nil else { return DTE_HOST_E_INVALID }
    do {
        try host.state.put(UnsafeRawBufferPointer(start: key, count: keyLength),
                           UnsafeRawBufferPointer(start: value, count: valueLength))
        return DTE_HOST_OK
    } catch {
        noteBusy(error)
        host.logger.error("state_put failed: \(error)")
        return DTE_HOST_E_FAILED
    }
}

private func hostStateDelete(_ ctx: UnsafeMutableRawPointer?, _ key: UnsafeRawPointer?, _ keyLength: Int) -> Int32 {
    guard let host = context(ctx), let key else { return DTE_HOST_E_INVALID }
    do {
        return try host.state.delete(UnsafeRawBufferPointer(start: key, count: keyLength)) ? DTE_HOST_OK : DTE_HOST_NOT_FOUND
    } catch {
        noteBusy(error)
        host.logger.error("state_delete failed: \(error)")
        return DTE_HOST_E_FAILED
    }
}
