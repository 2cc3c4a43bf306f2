// Two machines (two daemons, separate state directories, a network namespace
// each when run as root: FleetNetwork), one broker, one PostgreSQL: business
// state follows a partition from one machine to the other. The same run on
// SQLite (per-machine files) shows why that matters.
import Foundation
import Testing

@Suite(.serialized) struct FleetEndToEndTests {
    static let topics = ["payment-events", "payment-events.dlq", "notification-events", "user-events", "auth-events",
                         "subscription-events", "mission-events", "evaluation-events", "evaluation.completed", "resource-events"]

    static func renewalFailure(_ user: String, _ n: Int) throws -> (key: String, value: String) {
        (user, try ServiceDaemon.envelope("payment.subscription-renewal-failed", id: "fleet-\(user)-\(n)", user: user, at: at(n),
                                          ["userId": user, "subscriptionId": "sub-\(user)", "plan": "pro", "amount": 9900,
                                           "reason": "card_declined"]))
    }

    /// Restriction notifications per user: the distinct event ids (a re-sent outbox row keeps its id).
    static func restrictions(_ broker: String) throws -> [String: Set<String>] {
        var restricted: [String: Set<String>] = [:]
        for record in try Kcat.consumeAll(broker, topic: "notification-events") {
            guard let json = try JSONSerialization.jsonObject(with: Data(record.value.utf8)) as? [String: Any],
                  (json["payload"] as? [String: Any])?["template"] as? String == "billing.service-restricted" else { continue }
            restricted[record.key, default: []].insert(json["eventId"] as? String ?? "")
        }
        return restricted
    }

    /// Publishes every user's third renewal failure, waits until `survivor` holds every partition with nothing
    /// left to read, then for a restriction notification per user (`expectAll`; else it reads them at once).
    static func thirdFailures(_ users: [String], broker: String, survivor: DaemonUnderTest, group: String, expectAll: Bool
    ) throws -> [String: Set<String>] {
        try Kcat.produce(broker, topic: "payment-events", lines: try users.map { try renewalFailure($0, 3) })
        try Harness.waitUntil("the survivor to hold every partition with nothing left to read", timeout: 90, poll: 0.5) {
            let lag = try GroupSnapshot(survivor, group: group, topic: "payment-events").lag
            return lag.count == 6 && lag.values.allSatisfy { $0 == 0 }
        }
        var restricted: [String: Set<String>] = [:]
        try Harness.waitUntil("the notifications of the third failures", timeout: 30, poll: 0.5) {
            restricted = try restrictions(broker)
            return restricted.count == users.count || !expectAll
        }
        return restricted
    }

    /// Each user's `consecutiveFailures` in the user plugin's shared state (0 when absent).
    static func failureCounts(_ users: [String], in database: PostgresServer) throws -> [Int] {
        let state = try database.pluginState("user")
        return try users.map { user in
            let billing = try JSONSerialization.jsonObject(with: Data((state["billing/\(user)"] ?? "{}").utf8)) as? [String: Any]
            return billing?["consecutiveFailures"] as? Int ?? 0
        }
    }

    /// Two machines on one broker: own state directory, runtime directory and control socket each
    /// (`<dir>/a`, `<dir>/b`), and own network namespace when `network` is isolated; started one after
    /// the other, returned once they split `topic`'s six partitions in `group`.
    /// - Parameter groups: the consumer groups of the plugins (the first machine waits for all of them).
    static func twoMachines(config: String, broker: String, plugins: String, dir: String, group: String, topic: String,
                            network: FleetNetwork, groups: Int = 4) throws -> (DaemonUnderTest, DaemonUnderTest) {
        var machines: [DaemonUnderTest] = []
        for name in ["a", "b"] {
            try FileManager.default.createDirectory(atPath: "\(dir)/\(name)", withIntermediateDirectories: true)
            machines.append(try DaemonUnderTest(config: config, brokers: broker, pluginDir: plugins, dir: "\(dir)/\(name)",
                                                namespace: network.namespaces[name]))
            if name == "a" { try machines[0].waitForAssignment(groups: groups) }
        }
        if network.isIsolated {
            // Each daemon has a network stack of its own, neither of them the test's.
            let stacks = try (machines.map { "/proc/\($0.child.pid)/ns/net" } + ["/proc/self/ns/net"])
                .map { try FileManager.default.destinationOfSymbolicLink(atPath: $0) }
            guard Set(stacks).count == 3 else { throw HarnessError("the machines share a network namespace: \(stacks)") }
        }
        try Harness.waitUntil("both machines to hold \(topic) partitions in \(group)", timeout: 60, poll: 0.5) {
            let held = try machines.map { Set(try GroupSnapshot($0, group: group, topic: topic).lag.keys) }
            return !held[0].isEmpty && !held[1].isEmpty && held[0].isDisjoint(with: held[1]) && held[0].union(held[1]).count == 6
        }
        return (machines[0], machines[1])
    }

    /// Renewal failures 1 and 2 of every user while both machines run, SIGKILL of one, failure 3: on
    /// PostgreSQL every user's service is restricted exactly once; on SQLite the survivor never saw the
    /// failures the dead machine counted, and users stay unrestricted (the test asserts that it fails there).
    @Test(arguments: ["postgresql", "sqlite"])
    func failuresCountedOnTwoMachinesRestrictEveryUserOnceAfterOneIsKilled(_ backend: String) throws {
        let users = (0..<40).map { "user-\($0)" }
        let group = "user-service-payment-group"
        let dir = try Harness.temporaryDirectory("fleet-\(backend)")
        let network = try FleetNetwork(machines: ["a", "b"])
        defer { withExtendedLifetime(network) {} }  // to the end: its deinit removes the namespaces (after the daemons stop)
        let broker = try StandaloneMock(dir: dir, topics: Self.topics, host: network.brokerHost)
        let database = backend == "postgresql" ? try PostgresServer(dir: "\(dir)/pg") : nil
        let config = try Harness.configuration(in: dir, replacing: (database?.storeReplacement ?? [])
                                                + [(#""session.timeout.ms" = "10000""#, #""session.timeout.ms" = "6000""#)])
        let plugins = try Harness.pluginDirectory(in: dir, plugins: ["user"])
        let (a, b) = try Self.twoMachines(config: config, broker: broker.bootstrap, plugins: plugins, dir: dir, group: group, topic: "payment-events",
                                         network: network)
        defer { a.child.stop(SIGKILL); b.child.stop(SIGKILL) }

        try Kcat.produce(broker.bootstrap, topic: "payment-events", lines: try users.flatMap { [try Self.renewalFailure($0, 1), try Self.renewalFailure($0, 2)] })
        var handled = (a: 0, b: 0)
        try Harness.waitUntil("failures 1 and 2 handled on both machines", timeout: 60, poll: 0.3) {
            handled = (try GroupSnapshot(a, group: group).handled, try GroupSnapshot(b, group: group).handled)
            return handled.a + handled.b >= 2 * users.count
        }
        #expect(handled.a > 0 && handled.b > 0, "both machines counted failures: \(handled)")
        // Offsets are committed every second (auto.commit.interval.ms): once they are, the survivor
        // never reads failures 1 and 2 of the dead machine's partitions again; it has only the store.
        Thread.sleep(forTimeInterval: 3)
        #expect(a.child.stop(SIGKILL) != 0)

        let restricted = try Self.thirdFailures(users, broker: broker.bootstrap, survivor: b, group: group, expectAll: database != nil)
        let once = users.filter { restricted[$0]?.count == 1 }
        let twice = users.filter { (restricted[$0]?.count ?? 0) > 1 }
        print("fleet on \(backend): before the kill a handled \(handled.a), b \(handled.b); \(once.count) of \(users.count) users restricted once, \(twice.count) more than once")
        #expect(twice.isEmpty, "restricted more than once: \(twice)")
        if let database {
            #expect(once.count == users.count, "every user restricted exactly once; not: \(users.filter { !once.contains($0) })")
            let counts = try Self.failureCounts(users, in: database)
            #expect(counts.allSatisfy { $0 == 3 }, "the shared state counted three failures for every user: \(counts)")
            #expect(try database.query("SELECT count(*) FROM eventd_user.ledger WHERE grp = '\(group)'") == [["\(3 * users.count)"]])
        } else {
            // Per-machine SQLite files: the survivor never saw the failures the dead machine counted.
            #expect(once.count < users.count, "SQLite was expected to split the state between machines")
        }
        #expect(b.child.stop(SIGTERM) == 0)

        // An admin reads the state the plugin decided, on either backend (SQLite: the survivor's files).
        func state(_ arguments: [String]) throws -> (status: Int32, json: [String: Any]) {
            let run = try Captured(Eventctl.binary, ["state"] + arguments + ["--config", config, "--state-dir", "\(dir)/b/state", "--json"])
            return (run.status, (try? JSONSerialization.jsonObject(with: run.stdout)) as? [String: Any] ?? [:])
        }
        let listed = try state(["list", "user", "billing/"])
        let entries = listed.json["entries"] as? [[String: Any]] ?? []
        let survivorUsers = Set(entries.compactMap { ($0["key"] as? String)?.replacingOccurrences(of: "billing/", with: "") })
        #expect(listed.status == 0 && survivorUsers == Set(users), "every user has a billing document where the survivor reads")
        let got = try state(["get", "user", "billing/user-0"])
        let billing = got.json["value"] as? [String: Any]
        #expect(got.status == 0 && got.json["key"] as? String == "billing/user-0")
        if database != nil { #expect(billing?["consecutiveFailures"] as? Int == 3) }
        #expect(try state(["get", "user", "billing/nobody"]).status == 1, "an absent key is exit 1")
        #expect(try state(["get", "no-such-plugin", "x"]).status == 1, "no store is created for a misspelt plugin")
    }
}
