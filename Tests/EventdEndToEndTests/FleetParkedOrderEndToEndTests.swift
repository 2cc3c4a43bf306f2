// Per-key order across machines (PostgreSQL backend): machine A parks events of two keys
// (one recovers, one fails for good) with their later events behind them, and is killed
// with SIGKILL while they wait. Machine B takes the partitions: the parked rows in the
// shared store keep B holding the later events (those A parked and those that arrive
// after the kill) behind, each key is handled in offset order, nothing is lost, and
// only the event that failed for good is dead-lettered, once.
import Foundation
import Testing

@Suite(.serialized) struct FleetParkedOrderEndToEndTests {
    static let tiers = ["3s", "20s", "4s"]
    static let topics = ["mission-events", "counter-events", "mission-events.dlq"] + tiers.map { "mission-events.retry.\($0)" }
        + ["10s", "1m", "10m"].map { "mission-events.retry.\($0)" }

    @Test func parkedKeysHoldTheirOrderWhenAnotherMachineTakesTheirPartitions() throws {
        let group = "tx-counter-group"
        let dir = try Harness.temporaryDirectory("fleet-parked")
        let network = try FleetNetwork(machines: ["a", "b"])
        defer { withExtendedLifetime(network) {} }  // to the end: its deinit removes the namespaces (after the daemons stop)
        let broker = try StandaloneMock(dir: dir, topics: Self.topics, host: network.brokerHost)
        let database = try PostgresServer(dir: "\(dir)/pg")
        // One attempt, then tiers of 3 s, 20 s and 4 s. K-1 fails once per process (on A, then again on B, which
        // parks it on the 20 s tier: its key stays parked well past the takeover); C-1 fails for good.
        let txCounter = [
            "[plugin]", "enabled = true",
            "[retry]", "attempts = 1", "tiers = [\(Self.tiers.map { "\"\($0)\"" }.joined(separator: ", "))]", "keep_key_order = true",
            "[settings]", #"flaky_id = "K-1""#, #"flaky_failures = "1""#, #"retry_id = "C-1""#,
        ].joined(separator: "\n") + "\n"
        let config = try Harness.configuration(in: dir, replacing: database.storeReplacement + [
            ("backoff_ms = 200", "backoff_ms = 20"), (#""session.timeout.ms" = "10000""#, #""session.timeout.ms" = "6000""#),
        ], pluginFiles: ["tx-counter": txCounter])
        let plugins = try Harness.pluginDirectory(in: dir, plugins: [], fixtures: ["tx-counter"])
        let (a, b) = try FleetEndToEndTests.twoMachines(config: config, broker: broker.bootstrap, plugins: plugins, dir: dir,
                                                        group: group, topic: "mission-events", network: network, groups: 1)
        defer { a.child.stop(SIGKILL); b.child.stop(SIGKILL) }

        // K and C on partitions machine A holds, F on one of B's: A parks, B flows.
        let onA = try GroupSnapshot(a, group: group).lag.keys.sorted()
        let onB = try GroupSnapshot(b, group: group).lag.keys.sorted()
        let (pK, pC, pF) = (onA[0], onA[onA.count > 1 ? 1 : 0], onB[0])
        func produce(_ key: String, _ numbers: ClosedRange<Int>, partition: Int) throws {
            let input = numbers.map { "\(key)|\(RetryEndToEndTests.envelope("\(key)-\($0)"))\n" }.joined()
            try Kcat.run(["-b", broker.bootstrap, "-P", "-t", "mission-events", "-p", "\(partition)", "-K", "|"], input: input)
        }
        try produce("K", 1...4, partition: pK)
        try produce("C", 1...4, partition: pC)
        try produce("F", 1...4, partition: pF)
        try Harness.waitUntil("A to park K-1 and C-1 with the three events of each key behind them", timeout: 30, poll: 0.1) {
            let stats = try RetryEndToEndTests().pluginStats(a, group: group)
            return stats["parked"] as? Int == 8
        }
        // Killed while the keys wait on the 3 s tier: only the shared store knows they are parked.
        #expect(a.child.stop(SIGKILL) != 0)
        #expect(try database.query("SELECT count(*), count(DISTINCT key) FROM eventd_tx_counter.parked WHERE grp = '\(group)'") == [["8", "2"]])
        // Later events of both keys arrive on A's partitions after its death: only B reads them.
        try produce("K", 5...5, partition: pK)
        try produce("C", 5...5, partition: pC)
        try produce("F", 5...5, partition: pF)
        try Harness.waitUntil("B to hold every partition", timeout: 60, poll: 0.3) {
            try GroupSnapshot(b, group: group).lag.count == 6
        }
        // B holds K-1 and C-1 on the 20 s tier, those tier partitions paused at them. A comes back (a reboot):
        // after that rebalance no tier partition may stay paused, or its key waits for good.
        try Harness.waitUntil("B to park K-1 and C-1 on the 20 s tier", timeout: 30, poll: 0.2) {
            b.child.log.components(separatedBy: "tier=20s topic=mission-events").count - 1 >= 2
        }
        let back = try DaemonUnderTest(config: config, brokers: broker.bootstrap, pluginDir: plugins, dir: "\(dir)/a", run: 1,
                                       namespace: network.namespaces["a"])
        defer { back.child.stop(SIGKILL) }
        try Harness.waitUntil("the machines to share the partitions again", timeout: 60, poll: 0.3) {
            let held = [Set(try GroupSnapshot(back, group: group).lag.keys), Set(try GroupSnapshot(b, group: group).lag.keys)]
            return !held[0].isEmpty && !held[1].isEmpty && held[0].union(held[1]).count == 6
        }

        var followUps: [ConsumedRecord] = []
        try Harness.waitUntil("every key's follow-ups (K 5, C 4, F 5)", timeout: 120, poll: 0.5) {
            followUps = try Kcat.consumeAll(broker.bootstrap, topic: "counter-events")
            return Set(followUps.map(\.value)).count >= 14
        }
        /// A key's events in the order they were handled: the running total each handling committed
        /// (transactions of one store run one at a time across the fleet), each event once.
        func handled(_ key: String) -> [String] {
            var first: [String: Int] = [:]
            for record in followUps where record.key == key {
                let total = Int(record.headers["x-counter-total"] ?? "") ?? .max
                first[record.value] = min(first[record.value] ?? .max, total)
            }
            return first.sorted { $0.value < $1.value }.map(\.key)
        }
        #expect(handled("K") == ["K-1", "K-2", "K-3", "K-4", "K-5"], "K's order held across machines")
        #expect(handled("C") == ["C-2", "C-3", "C-4", "C-5"], "C's later events released, in order, after C-1 was dead-lettered")
        #expect(handled("F") == ["F-1", "F-2", "F-3", "F-4", "F-5"])

        var dead: [ConsumedRecord] = []
        try Harness.waitUntil("C-1 in the DLQ", timeout: 30, poll: 0.5) {
            dead = try Kcat.consumeAll(broker.bootstrap, topic: "mission-events.dlq")
            return !dead.isEmpty
        }
        #expect(dead.map(\.value) == [RetryEndToEndTests.envelope("C-1")], "only C-1, once: \(dead.map(\.value))")
        #expect(dead.first?.headers["x-dlq-outcome"] == "retries-exhausted" && dead.first?.headers["x-dlq-attempts"] == "4")
        // B held K-5, which A never saw, behind the K-1 that A had parked.
        let tier0 = try Kcat.consumeAll(broker.bootstrap, topic: "mission-events.retry.3s")
        #expect(tier0.contains { $0.value == RetryEndToEndTests.envelope("K-5") && $0.headers["x-retry-behind"] == "1" },
                "K-5 parked behind K-1 on the machine that took over")
        #expect(tier0.contains { $0.value == RetryEndToEndTests.envelope("C-5") && $0.headers["x-retry-behind"] == "1" })

        try Harness.waitUntil("every parked event released", timeout: 30, poll: 0.5) {
            try database.query("SELECT count(*) FROM eventd_tx_counter.parked") == [["0"]]
        }
        #expect(back.child.stop(SIGTERM) == 0 && b.child.stop(SIGTERM) == 0)
        let state = try database.pluginState("tx-counter")
        #expect(state["total"] == "14", "every handled event counted once: \(state)")
        #expect(state.filter { $0.key.hasPrefix("seen/") }.count == 14 && state.filter { $0.key.hasPrefix("seen/") }.values.allSatisfy { $0 == "1" })
        #expect(try database.query("SELECT count(*) FROM eventd_tx_counter.ledger WHERE grp = '\(group)'") == [["14"]])
    }
}
