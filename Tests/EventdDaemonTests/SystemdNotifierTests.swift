// sd_notify(3) against a test-owned NOTIFY_SOCKET (no systemd PID 1 here,
// docs/systemd.md), plus the journal helpers that need no journald.
//
// Why setenv in the test process: sd_notify and sd_watchdog_enabled read
// NOTIFY_SOCKET / WATCHDOG_USEC / WATCHDOG_PID from the process environment,
// not from the dictionary SystemdNotifier takes, and no helper executable
// target may be added. The environment is process-wide, so the tests that
// set it are in this `.serialized` suite and unset everything they set
// before returning. Other suites running concurrently in the same process
// (e.g. a Daemon test calling sd_notify) could send to this socket during
// that short window; run with `--filter SystemdNotifierTests` if that bites.
@testable import EventdDaemon
import Foundation
import Logging
import Testing

@Suite(.serialized) struct SystemdNotifierTests {
    /// A bound AF_UNIX SOCK_DGRAM socket at a temporary path: the "service manager".
    final class NotifySocket {
        let fd: Int32
        let path: String

        init() throws {
            path = NSTemporaryDirectory() + "eventd-notify-\(UUID().uuidString.prefix(8)).sock"
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            try #require(fd >= 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            try #require(bytes.count < MemoryLayout.size(ofValue: addr.sun_path))
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            try #require(rc == 0, "bind \(path): errno \(errno)")
        }

        deinit {
            close(fd)
            unlink(path)
        }

        /// The next datagram, or nil if none arrives within `timeout` seconds.
        func receive(timeout: Double = 1.0) -> String? {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, Int32(timeout * 1000)) == 1 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n >= 0 else { return nil }
            return String(decoding: buffer[..<n], as: UTF8.self)
        }

        /// Everything that arrives within `window` seconds.
        func drain(for window: Double) -> [String] {
            var got: [String] = []
            let end = Date().addingTimeInterval(window)
            while case let left = end.timeIntervalSinceNow, left > 0 {
                if let message = receive(timeout: left) { got.append(message) }
            }
            return got
        }
    }

    /// Sets the variables for the duration of `body` and unsets them afterwards.
    private func withEnvironment<T>(_ vars: [String: String], _ body: () throws -> T) rethrows -> T {
        for (key, value) in vars { setenv(key, value, 1) }
        defer { for key in vars.keys { unsetenv(key) } }
        return try body()
    }

    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Bool
        init(_ value: Bool) { self.value = value }
        func get() -> Bool { lock.withLock { value } }
        func set(_ new: Bool) { lock.withLock { value = new } }
    }

    // MARK: notify messages

    @Test func lifecycleMessagesArriveExactlyAndInOrder() throws {
        let sock = try NotifySocket()
        try withEnvironment(["NOTIFY_SOCKET": sock.path]) {
            let notifier = SystemdNotifier(environment: ProcessInfo.processInfo.environment)
            #expect(notifier.isEnabled)

            notifier.ready(status: "2 plugins, 1 group")
            let before = SystemdNotifier.monotonicMicroseconds()
            notifier.reloading()
            let after = SystemdNotifier.monotonicMicroseconds()
            notifier.ready(status: "reloaded\nsecond line")
            notifier.status("consumed 5")
            notifier.stopping()

            #expect(sock.receive() == "READY=1\nSTATUS=2 plugins, 1 group")
            let reload = try #require(sock.receive())
            let lines = reload.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 2)
            #expect(lines.first == "RELOADING=1")
            let stamp = try #require(lines.last.flatMap { $0.hasPrefix("MONOTONIC_USEC=") ? UInt64($0.dropFirst("MONOTONIC_USEC=".count)) : nil },
                                     "bad reload message: \(reload)")
            #expect(stamp >= before && stamp <= after)
            // Cross-check against clock_gettime directly: same clock, within a second.
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            let now = UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1_000
            #expect(now >= stamp && now - stamp < 1_000_000)

            #expect(sock.receive() == "READY=1\nSTATUS=reloaded second line")
            #expect(sock.receive() == "STATUS=consumed 5")
            #expect(sock.receive() == "STOPPING=1")
            #expect(sock.receive(timeout: 0.1) == nil)
        }
    }

    @Test func disabledWithoutNotifySocketInItsEnvironment() throws {
        let sock = try NotifySocket()
        withEnvironment(["NOTIFY_SOCKET": sock.path]) {
            // The dictionary decides: an empty environment sends nothing even though the process has NOTIFY_SOCKET.
            let notifier = SystemdNotifier(environment: [:])
            #expect(!notifier.isEnabled)
            notifier.ready(status: "x")
            notifier.stopping()
            #expect(sock.receive(timeout: 0.1) == nil)
        }
        #expect(!SystemdNotifier(environment: ["NOTIFY_SOCKET": ""]).isEnabled)
    }

    // MARK: watchdog

    @Test func watchdogPingsOnlyWhileAlive() throws {
        let sock = try NotifySocket()
        withEnvironment(["NOTIFY_SOCKET": sock.path, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "\(getpid())"]) {
            let notifier = SystemdNotifier(environment: ProcessInfo.processInfo.environment)
            #expect(notifier.watchdogInterval == .milliseconds(200))
            let alive = Flag(true)
            #expect(notifier.startWatchdog { alive.get() })
            defer { notifier.stopWatchdog() }

            let pings = sock.drain(for: 0.5)
            #expect(pings.count >= 2, "got \(pings)")
            #expect(pings.allSatisfy { $0 == "WATCHDOG=1" }, "got \(pings)")

            // A wedged loop: no progress → no pings. Let a tick already past its isAlive check land first.
            alive.set(false)
            _ = sock.drain(for: 0.05)
            #expect(sock.drain(for: 0.4) == [])

            // Progress again → pings again; stopWatchdog ends them for good.
            alive.set(true)
            #expect(sock.receive(timeout: 0.5) == "WATCHDOG=1")
            notifier.stopWatchdog()
            _ = sock.drain(for: 0.05)
            #expect(sock.drain(for: 0.3) == [])
        }
    }

    @Test func watchdogHonoursWatchdogPid() throws {
        withEnvironment(["WATCHDOG_USEC": "200000", "WATCHDOG_PID": "\(getpid() + 1)"]) {
            let notifier = SystemdNotifier(environment: ProcessInfo.processInfo.environment)
            #expect(notifier.watchdogInterval == nil)
            #expect(!notifier.startWatchdog { true })
        }
        withEnvironment(["WATCHDOG_USEC": "3000000"]) {
            #expect(SystemdNotifier().watchdogInterval == .seconds(3))
        }
        #expect(SystemdNotifier().watchdogInterval == nil)
    }

    // MARK: journal

    private func stderrIdentity() throws -> (dev: UInt64, ino: UInt64) {
        var st = stat()
        try #require(fstat(STDERR_FILENO, &st) == 0)
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    @Test func journalStreamMatchesStderrFollowsSystemdsRule() throws {
        let (dev, ino) = try stderrIdentity()
        #expect(LogDestination.journalStreamMatchesStderr(environment: ["JOURNAL_STREAM": "\(dev):\(ino)"]))
        // Mismatch: stderr redirected away from the stream systemd set up.
        #expect(!LogDestination.journalStreamMatchesStderr(environment: ["JOURNAL_STREAM": "\(dev):\(ino + 1)"]))
        #expect(!LogDestination.journalStreamMatchesStderr(environment: ["JOURNAL_STREAM": "\(dev + 1):\(ino)"]))
        // Unset and malformed.
        #expect(!LogDestination.journalStreamMatchesStderr(environment: [:]))
        for bad in ["", "\(dev)", "\(dev):", ":\(ino)", "\(dev):\(ino):0", "x:\(ino)", "\(dev):\(ino)x", "-1:\(ino)", " \(dev):\(ino)"] {
            #expect(!LogDestination.journalStreamMatchesStderr(environment: ["JOURNAL_STREAM": bad]), "accepted \(bad.debugDescription)")
        }
    }

    @Test func metadataKeysBecomeJournalFieldNames() {
        let cases: [(String, String)] = [
            ("plugin", "PLUGIN"), ("consumer_group", "CONSUMER_GROUP"), ("event_id", "EVENT_ID"),
            ("topic", "TOPIC"), ("partition", "PARTITION"), ("offset", "OFFSET"),
            ("kafka.client-id", "KAFKA_CLIENT_ID"), ("a b/c", "A_B_C"), ("größe", "GR_SSE"),
            // journald rejects a leading '_' (trusted fields) or digit, and empty names.
            ("_pid", "EVENTD__PID"), ("9lives", "EVENTD_9LIVES"), ("-x", "EVENTD__X"), ("", "EVENTD_"),
            // Would shadow a field the handler writes itself.
            ("message", "EVENTD_MESSAGE"), ("priority", "EVENTD_PRIORITY"), ("code_line", "EVENTD_CODE_LINE"),
        ]
        for (key, field) in cases {
            #expect(JournalLogHandler.journalFieldName(key) == field, "key \(key.debugDescription)")
        }
        let long = JournalLogHandler.journalFieldName(String(repeating: "k", count: 100))
        #expect(long == String(repeating: "K", count: 64))
    }

    @Test func levelsMapToSyslogPriorities() {
        let expected: [Logger.Level: Int] = [.trace: 7, .debug: 7, .info: 6, .notice: 5, .warning: 4, .error: 3, .critical: 2]
        for level in Logger.Level.allCases {
            #expect(JournalLogHandler.priority(level) == expected[level], "\(level)")
        }
    }
}
