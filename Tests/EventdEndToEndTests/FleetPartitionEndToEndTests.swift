// A network partition instead of a crash: machine A's link goes down (its daemon
// keeps running), A loses its partitions after the session timeout, B takes them,
// and the state on PostgreSQL stays exactly once. Needs network namespaces
// (root and `ip netns`: .ci/netns.sh); elsewhere the test is not run.
//
// A partitioned machine is not a dead one: A still reaches PostgreSQL (the test
// server is a Unix socket, which crosses network namespaces; in a real fleet the
// database may sit on another link that stayed up). A can go on committing the
// events it fetched before the cut, at the same time as B handles the same
// partitions from the last committed offset. What keeps that exactly once is the
// shared store: every transaction of a plugin runs under one advisory lock fleet-wide
// and commits only on the schema version it was handled on, so A's and B's
// transactions run one after the other, and the second
// to reach an event finds the first's ledger entry and skips it. A's offset
// commits fail (no broker), so B re-reads what A handled, and skips it the same way.
// And A's outbox relay still reaches the outbox: a claim of rows A cannot send
// would hold back the plugin's follow-ups from every machine (they go out in
// commit order), so a relay claims nothing while its daemon is degraded and gives
// a claim back when a publish fails.
import Foundation
import Testing

@Suite(.serialized) struct FleetPartitionEndToEndTests {
    static var canIsolate: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") && Harness.environment["EVENTD_FLEET_NETNS"] != "0"
    }

    @Test(.enabled(if: canIsolate, "needs root, `ip netns` (network namespaces) and EVENTD_FLEET_NETNS not 0"))
    func aMachineCutOffFromTheBrokerLosesItsPartitionsAndEveryUserIsRestrictedOnce() throws {
        let users = (0..<40).map { "user-\($0)" }
        let group = "user-service-payment-group"
        let dir = try Harness.temporaryDirectory("fleet-partition")
        let network = try FleetNetwork(machines: ["a", "b"])
        defer { withExtendedLifetime(network) {} }  // to the end: its deinit removes the namespaces (after the daemons stop)
        guard network.isIsolated else { throw HarnessError("network namespaces could not be made (see the note above)") }
        let broker = try StandaloneMock(dir: dir, topics: FleetEndToEndTests.topics, host: network.brokerHost)
        let database = try PostgresServer(dir: "\(dir)/pg")
        let config = try Harness.configuration(in: dir, replacing: database.storeReplacement + [
            (#""session.timeout.ms" = "10000""#, #""session.timeout.ms" = "6000""#),
        ])
        let plugins = try Harness.pluginDirectory(in: dir, plugins: ["user"])
        let (a, b) = try FleetEndToEndTests.twoMachines(config: config, broker: broker.bootstrap, plugins: plugins, dir: dir,
                                                        group: group, topic: "payment-events", network: network)
        defer { a.child.stop(SIGKILL); b.child.stop(SIGKILL) }

        try Kcat.produce(broker.bootstrap, topic: "payment-events",
                         lines: try users.flatMap { [try FleetEndToEndTests.renewalFailure($0, 1), try FleetEndToEndTests.renewalFailure($0, 2)] })
        var handled = (a: 0, b: 0)
        try Harness.waitUntil("failures 1 and 2 handled on both machines", timeout: 60, poll: 0.3) {
            handled = (try GroupSnapshot(a, group: group).handled, try GroupSnapshot(b, group: group).handled)
            return handled.a + handled.b >= 2 * users.count
        }
        #expect(handled.a > 0 && handled.b > 0, "both machines counted failures: \(handled)")
        Thread.sleep(forTimeInterval: 3)  // offsets committed (auto.commit.interval.ms = 1 s)

        try network.cut("a")
        let cutAt = Date()
        // A's control socket is a Unix socket too: the test still asks A what it holds.
        try Harness.waitUntil("A to give its partitions up and B to hold all six", timeout: 60, poll: 0.5) {
            try GroupSnapshot(a, group: group, topic: "payment-events").lag.isEmpty
                && GroupSnapshot(b, group: group, topic: "payment-events").lag.count == 6
        }
        let movedAfter = Date().timeIntervalSince(cutAt)
        var probeSeconds = 0.0
        #expect(a.child.isRunning, "the partitioned machine runs on")
        try Harness.waitUntil("A to report degraded (no broker)", timeout: 60, poll: 0.5) { try Self.degraded(a) != nil }
        #expect(try Self.degraded(b) == nil, "B reaches the broker")

        // Outbox rows another machine committed (written with psql: no relay is woken first, so A's
        // and B's relays race for each). Each goes out within seconds: A, which could not send it,
        // claims none (a claim would hold that row, and every later one, until the partition ends).
        for i in 0..<6 {
            let start = Date()
            _ = try database.query("""
                INSERT INTO eventd_user.outbox(topic, key, value, headers) \
                VALUES('notification-events', convert_to('probe-\(i)', 'UTF8'), convert_to('{}', 'UTF8'), '\\x')
                """)
            try Harness.waitUntil("outbox row probe-\(i) to reach the broker", timeout: 45, poll: 0.2) {
                try Kcat.consumeAll(broker.bootstrap, topic: "notification-events").contains { $0.key == "probe-\(i)" }
            }
            probeSeconds = max(probeSeconds, Date().timeIntervalSince(start))
        }

        let thirdAt = Date()
        let restricted = try FleetEndToEndTests.thirdFailures(users, broker: broker.bootstrap, survivor: b, group: group, expectAll: true)
        let notifiedAfter = Date().timeIntervalSince(thirdAt)
        #expect(users.allSatisfy { restricted[$0]?.count == 1 }, "every user restricted exactly once: \(restricted.filter { $0.value.count != 1 })")
        let counts = try FleetEndToEndTests.failureCounts(users, in: database)
        #expect(counts.allSatisfy { $0 == 3 }, "three failures counted for every user: \(counts)")
        #expect(try database.query("SELECT count(*) FROM eventd_user.ledger WHERE grp = '\(group)'") == [["\(3 * users.count)"]])

        // The link comes back: A rejoins the group and takes partitions again; nothing is handled twice.
        try network.heal("a")
        try Harness.waitUntil("A to recover and hold partitions again", timeout: 60, poll: 0.5) {
            try Self.degraded(a) == nil && !GroupSnapshot(a, group: group, topic: "payment-events").lag.isEmpty
        }
        Thread.sleep(forTimeInterval: 2)
        #expect(try database.query("SELECT count(*) FROM eventd_user.ledger WHERE grp = '\(group)'") == [["\(3 * users.count)"]])
        #expect(try FleetEndToEndTests.restrictions(broker.bootstrap).values.allSatisfy { $0.count == 1 }, "no restriction sent twice after the heal")
        print("""
            fleet partition: before the cut a handled \(handled.a), b \(handled.b); B held every partition \
            \(String(format: "%.1f", movedAfter)) s after A's link went down; outbox rows out within \
            \(String(format: "%.1f", probeSeconds)) s while A was degraded; every user restricted once, \
            \(String(format: "%.1f", notifiedAfter)) s from the third failures to the last notification
            """)
        #expect(a.child.stop(SIGTERM) == 0)
        #expect(b.child.stop(SIGTERM) == 0)
    }

    /// The `degraded` member of `status --json` (nil while the brokers are reachable).
    static func degraded(_ daemon: DaemonUnderTest) throws -> [String: Any]? {
        (try Eventctl.run(["status", "--json"], socket: daemon.socket).json()["result"] as? [String: Any])?["degraded"] as? [String: Any]
    }
}
