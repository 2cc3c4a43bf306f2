// The handler call running on a thread, as the host functions see it.
//
// The C ABI hands a host function only the plugin's own context, and one
// plugin instance handles events on several partition threads at once; so the
// host functions learn which delivery a `produce` or a failed state call
// belongs to from the thread. `PluginInstance.handle` takes the call as an
// argument and makes it current on its thread for exactly the duration of the
// plugin's `handle`: this is the host's one thread-local.
import CEventdPlugin
import Foundation

/// One delivery's side of a plugin's `handle` call. Delivery subclasses it
/// with what follow-ups need (the source event's acknowledgement tracker, the
/// open transaction); one object serves a partition's whole batch.
open class HandlerCall: @unchecked Sendable {
    /// A state call of the plugin found the store busy (held by another
    /// process): the plugin's reject is then turned into a retry.
    @exclusivity(unchecked) public internal(set) var storeBusy = false
    /// The event the plugin's `handle` has in hand (for the host functions: a log line's trace id).
    @exclusivity(unchecked) public internal(set) var event: UnsafePointer<dte_event>?

    public init() {}

    /// The call on this thread, while a plugin's `handle` runs.
    @inline(__always)
    static var current: HandlerCall? {
        pthread_getspecific(key).map { Unmanaged<HandlerCall>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Whether `call` is current on this thread already (the caller made it current for a whole batch).
    @inline(__always)
    static func isCurrent(_ call: HandlerCall) -> Bool {
        let current: UnsafeMutableRawPointer? = pthread_getspecific(key)
        return current == Unmanaged.passUnretained(call).toOpaque()
    }

    /// Runs `body` with `call` current on this thread: around one plugin call, or around a partition
    /// batch's calls (then each call finds it current and sets nothing).
    @inline(__always)
    public static func with<R>(_ call: HandlerCall, _ body: () -> R) -> R {
        pthread_setspecific(key, Unmanaged.passUnretained(call).toOpaque())
        defer { pthread_setspecific(key, nil) }
        return withExtendedLifetime(call) { body() }
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
}
