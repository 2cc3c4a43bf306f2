// The sd_notify(3) side of the systemd unit: readiness, status, reload and
// stop announcements, and the watchdog keep-alive.
//
// Debian 12 ships systemd 252, which has no Type=notify-reload; the
// RELOADING=1 + MONOTONIC_USEC message that 253+ expects is still sent
// (252 accepts and ignores what it does not use), so the unit can move to
// Type=notify-reload later without a daemon change.
import CSystemd
import Foundation

public final class SystemdNotifier: @unchecked Sendable {
    /// True when the service manager gave us a notification socket.
    public let isEnabled: Bool

    private let lock = NSLock()
    private var watchdogTimer: DispatchSourceTimer?

    /// - Parameter environment: decides `isEnabled` only; sd_notify(3) and
    ///   sd_watchdog_enabled(3) themselves read the process environment.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        isEnabled = !(environment["NOTIFY_SOCKET"] ?? "").isEmpty
    }

    deinit { watchdogTimer?.cancel() }

    /// "READY=1\nSTATUS=<status>": start-up has finished.
    public func ready(status: String) {
        send("READY=1\nSTATUS=\(Self.oneLine(status))")
    }

    /// "STATUS=<status>": free-form text shown by `systemctl status`.
    public func status(_ status: String) {
        send("STATUS=\(Self.oneLine(status))")
    }

    /// "RELOADING=1\nMONOTONIC_USEC=<now>": a reload has begun; follow with `ready(status:)` when it ends.
    public func reloading() {
        send("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())")
    }

    /// "STOPPING=1": shutdown has begun.
    public func stopping() {
        send("STOPPING=1")
    }

    /// "WATCHDOG=1": one keep-alive.
    public func watchdogPing() {
        send("WATCHDOG=1")
    }

    /// The unit's WatchdogSec= as passed in WATCHDOG_USEC, or nil when no
    /// watchdog applies to this process (also honours WATCHDOG_PID).
    public var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(clamping: usec))
    }

    /// Pings the watchdog every half interval, but only while `isAlive()` says
    /// the daemon is making progress: a wedged daemon stops pinging and
    /// systemd kills and restarts it. Replaces a running watchdog timer.
    /// - Returns: false (and does nothing) when no watchdog is configured.
    @discardableResult
    public func startWatchdog(isAlive: @escaping @Sendable () -> Bool) -> Bool {
        guard let interval = watchdogInterval else { return false }
        let (seconds, attoseconds) = (interval / 2).components
        let nanos = max(1_000_000, Int(clamping: seconds) &* 1_000_000_000 &+ Int(attoseconds / 1_000_000_000))
        let period = DispatchTimeInterval.nanoseconds(nanos)

        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "devtrip-eventd.watchdog"))
        timer.schedule(deadline: .now() + period, repeating: period, leeway: .milliseconds(min(50, max(1, nanos / 10_000_000))))
        timer.setEventHandler { [weak self] in
            guard let self, isAlive() else { return }
            watchdogPing()
        }
        lock.lock()
        let old = watchdogTimer
        watchdogTimer = timer
        lock.unlock()
        old?.cancel()
        timer.resume()
        return true
    }

    /// Stops the keep-alive timer (no more WATCHDOG=1).
    public func stopWatchdog() {
        lock.lock()
        let old = watchdogTimer
        watchdogTimer = nil
        lock.unlock()
        old?.cancel()
    }

    // MARK: internals

    private func send(_ state: String) {
        guard isEnabled else { return }
        _ = sd_notify(0, state)
    }

    /// Newlines would start a new assignment in the notify message.
    static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: " ")
    }

    /// CLOCK_MONOTONIC in microseconds, the clock systemd's MONOTONIC_USEC uses.
    static func monotonicMicroseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1_000
    }
}
