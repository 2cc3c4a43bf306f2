// The daemon under a test-owned NOTIFY_SOCKET, as systemd would run it
// (Type=notify, WatchdogSec=): readiness, reload, stop and watchdog pings.
import Foundation
import Testing

/// A datagram socket standing in for systemd's notification socket.
final class NotifySocket: @unchecked Sendable {
    let path: String
    let fd: Int32
    private let lock = NSLock()
    private var received: [(at: Date, message: String)] = []
    private var open = true

    init(dir: String) throws {
        path = "\(dir)/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw HarnessError("bind \(path): \(errno)") }
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while lock.withLock({ open }) {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n > 0 {
                    let message = String(decoding: buffer[0..<n], as: UTF8.self)
                    lock.withLock { received.append((Date(), message)) }
                }
            }
        }.start()
    }

    var messages: [(at: Date, message: String)] { lock.withLock { received } }

    /// The notifications other than watchdog pings, in order.
    var states: [String] { messages.map(\.message).filter { $0 != "WATCHDOG=1" } }

    func pings(since: Date) -> Int { messages.filter { $0.message == "WATCHDOG=1" && $0.at >= since }.count }

    deinit {
        lock.withLock { open = false }
        close(fd)
    }
}

@Suite(.serialized) struct SystemdEndToEndTests {
    @Test func readyReloadingReadyStoppingAndWatchdogInOrder() throws {
        let dir = try Harness.temporaryDirectory("notify")
        let notify = try NotifySocket(dir: dir)
        let config = try Harness.configuration(in: dir)
        let plugins = try Harness.pluginDirectory(in: dir, plugins: ["echo"])
        let daemon = try DaemonUnderTest(config: config, brokers: "embedded", pluginDir: plugins, dir: dir,
                                         environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"])
        defer { daemon.child.stop() }
        try Harness.waitUntil("READY=1", timeout: 30) { notify.states.contains { $0.hasPrefix("READY=1") } }
        let since = Date()
        Thread.sleep(forTimeInterval: 1.2)
        #expect(notify.pings(since: since) >= 3, "pings every half interval (200 ms) while the loops run")

        #expect(try Eventctl.run(["plugin-reload", "echo"], socket: daemon.socket).status == 0)
        #expect(daemon.child.stop(SIGTERM) == 0)
        let states = notify.states
        // READY, RELOADING (with MONOTONIC_USEC), READY, STOPPING — STATUS-only updates may come between.
        let kinds = states.compactMap { message -> String? in
            if message.hasPrefix("READY=1") { return "READY" }
            if message.hasPrefix("RELOADING=1") { return "RELOADING" }
            if message.hasPrefix("STOPPING=1") { return "STOPPING" }
            return nil
        }
        #expect(kinds == ["READY", "RELOADING", "READY", "STOPPING"], "\(states)")
        let reloading = try #require(states.first { $0.hasPrefix("RELOADING=1") })
        let usec = reloading.split(separator: "\n").first { $0.hasPrefix("MONOTONIC_USEC=") }.flatMap { UInt64($0.dropFirst(15)) }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nowUsec = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        #expect(usec != nil && usec! <= nowUsec && nowUsec - usec! < 30_000_000)
        #expect(states.first { $0.hasPrefix("READY=1") }?.contains("STATUS=") == true)
    }

    @Test func aWedgedConsumeLoopStopsTheWatchdogPings() throws {
        let dir = try Harness.temporaryDirectory("wedge")
        let notify = try NotifySocket(dir: dir)
        let config = try Harness.configuration(in: dir, pluginFiles: ["counter": "[plugin]\nenabled = true\n\n[settings]\nblock_id = \"wedge\"\n"])
        let plugins = try Harness.pluginDirectory(in: dir, plugins: [], fixtures: ["counter"])
        let daemon = try DaemonUnderTest(config: config, brokers: "embedded", pluginDir: plugins, dir: dir,
                                         environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"])
        defer { daemon.child.stop(SIGKILL) }
        try daemon.waitForAssignment(groups: 1)
        let before = Date()
        Thread.sleep(forTimeInterval: 0.8)
        #expect(notify.pings(since: before) >= 2)

        try Kcat.produce(daemon.bootstrap, topic: "mission-events",
                         lines: [("k", #"{"eventId":"wedge","eventType":"mission.started","occurredAt":"2026-11-24T10:00:00Z"}"#)])
        // The handler never returns; within one interval the loop is stale and pings stop.
        Thread.sleep(forTimeInterval: 1.5)
        let quiet = Date()
        Thread.sleep(forTimeInterval: 1.5)
        #expect(notify.pings(since: quiet) == 0, "no WATCHDOG=1 while the consume loop is wedged")
        #expect(daemon.child.isRunning, "systemd, not the daemon, decides to kill it")
    }
}
