// One initialised plugin: its image, its instance pointer and its host context.
import CEventdPlugin
import Foundation

/// A live plugin. `handle` may be called from several threads at once
/// (different partitions); `shutdown` only after every call returned.
public final class PluginInstance: @unchecked Sendable {
    public let image: PluginImage
    public let context: HostContext
    /// The claims after configuration: (canonical event or "*", effective group).
    public let claims: [(event: String, group: String)]
    /// The configuration the instance was created with.
    public let options: PluginOptions
    /// The plugin file as it was when loaded.
    public let fingerprint: PluginFingerprint
    public let loadedAt = Date()
    let instance: UnsafeMutableRawPointer?
    let handleFn: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<dte_event>?, UnsafeMutablePointer<CChar>?, Int) -> dte_outcome
    private var isShutDown = false

    public var name: String { image.name }
    public var version: String { image.version }
    /// The name as a C string, allocated once.
    nonisolated(unsafe) public let cName: UnsafePointer<CChar>

    /// Runs the plugin's `init`.
    /// - Throws: `PluginRefusal.initFailed` with the plugin's own reason.
    public init(image: PluginImage, context: HostContext, settingsJSON: String,
                claims: [(event: String, group: String)], options: PluginOptions = PluginOptions(),
                fingerprint: PluginFingerprint) throws(PluginRefusal) {
        self.image = image
        self.context = context
        self.claims = claims
        self.options = options
        self.fingerprint = fingerprint
        let registration = image.registration
        var err = [CChar](repeating: 0, count: 1024)
        var instance: UnsafeMutableRawPointer?
        let ctx = Unmanaged.passRetained(context).toOpaque()
        let rc = settingsJSON.withCString { json in
            registration.`init`!(HostContext.table, ctx, json, strlen(json), &instance, &err, err.count)
        }
        guard rc == 0 else {
            Unmanaged<HostContext>.fromOpaque(ctx).release()
            throw .initFailed(name: image.name, reason: err.pluginReason(rc: rc))
        }
        self.instance = instance
        handleFn = registration.handle!
        cName = UnsafePointer(strdup(image.name)!)
    }

    /// Hands one event to the plugin on this thread, with `call` current for the host
    /// functions it calls; `error` receives its reason on retry or reject.
    /// A reject after a state call found the store busy (held by another daemon) becomes a retry.
    @inline(__always)
    public func handle(_ event: UnsafePointer<dte_event>, call: HandlerCall, error: UnsafeMutablePointer<CChar>,
                       capacity: Int) -> dte_outcome {
        call.storeBusy = false
        call.event = event
        defer { call.event = nil }
        let outcome = HandlerCall.isCurrent(call) ? handleFn(instance, event, error, capacity)
            : HandlerCall.with(call) { handleFn(instance, event, error, capacity) }
        guard call.storeBusy, outcome == DTE_REJECT else { return outcome }
        let reason = "state store busy (held by another process); retrying instead of the plugin's reject"
        _ = reason.withCString { strncpy(error, $0, max(capacity - 1, 0)) }
        if capacity > 0 { error[capacity - 1] = 0 }
        return DTE_RETRY
    }

    /// Calls the plugin's `shutdown` once and releases the host context.
    public func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        image.registration.shutdown!(instance)
        Unmanaged.passUnretained(context).release()
    }
}

#if canImport(Glibc)
import Glibc
#endif
