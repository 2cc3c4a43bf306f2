// Payment wallets on two machines sharing PostgreSQL, one of them killed with
// SIGKILL mid-stream, equal what one daemon alone computes from the same events.
import Foundation
import Testing

@Suite(.serialized) struct FleetWalletEndToEndTests {
    /// 40 users: registration, logins on two days, three missions started; on three topics.
    static func stream() throws -> [(topic: String, key: String, value: String)] {
        var out: [(topic: String, key: String, value: String)] = []
        for u in 0..<40 {
            let user = "user-\(u)"
            out.append(("user-events", user, try ServiceDaemon.envelope("user.registered", id: "w-reg-\(u)", user: user, at: at(1),
                                                                         ["userId": user, "email": "\(user)@example.com", "displayName": user, "plan": u % 2 == 0 ? "pro" : "basic"])))
            for day in 1...2 {
                out.append(("auth-events", user, try ServiceDaemon.envelope("user.login", id: "w-login-\(u)-\(day)", user: user,
                                                                             at: "2026-11-2\(day)T09:00:00Z", ["userId": user, "sessionId": "s-\(u)-\(day)"])))
            }
            for m in 1...3 {
                out.append(("mission-events", user, try ServiceDaemon.envelope("mission.started", id: "w-start-\(u)-\(m)", user: user, at: at(10 + m),
                                                                                ["userId": user, "missionId": "m-\(u)-\(m)", "ticketCost": m + u % 3])))
            }
        }
        return out
    }

    static func publish(_ events: [(topic: String, key: String, value: String)], to broker: String) throws {
        for topic in Set(events.map(\.topic)).sorted() {
            try Kcat.produce(broker, topic: topic, lines: events.filter { $0.topic == topic }.map { ($0.key, $0.value) })
        }
    }

    /// What of a wallet does not depend on the order its user's events on different topics arrived in.
    static func summary(_ document: String?) -> String {
        guard let data = document?.data(using: .utf8), let wallet = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return "none" }
        let usage = wallet["usage"] as? [String: Any] ?? [:]
        let fields: [Any?] = [wallet["plan"], wallet["balance"], wallet["owed"], wallet["registered"], usage["missionsStarted"],
                              usage["ticketsUsed"], usage["ticketsGranted"], usage["loginBonusDays"], (wallet["missions"] as? [String: Any])?.count]
        return fields.map { "\($0 ?? "nil")" }.joined(separator: "/")
    }

    @Test func walletsOfTwoMachinesWithAKillEqualOneDaemonAlone() throws {
        let events = try Self.stream()
        let users = (0..<40).map { "user-\($0)" }
        let dir = try Harness.temporaryDirectory("fleet-wallets")
        let plugins = try Harness.pluginDirectory(in: dir, plugins: ["payment"])
        for name in ["alone"] { try FileManager.default.createDirectory(atPath: "\(dir)/\(name)", withIntermediateDirectories: true) }

        // One daemon alone, on its own broker (SQLite).
        let aloneBroker = try StandaloneMock(dir: "\(dir)/alone", topics: FleetEndToEndTests.topics)
        let aloneConfig = try Harness.configuration(in: "\(dir)/alone")
        let alone = try DaemonUnderTest(config: aloneConfig, brokers: aloneBroker.bootstrap, pluginDir: plugins, dir: "\(dir)/alone")
        defer { alone.child.stop(SIGKILL) }
        try alone.waitForAssignment(groups: 4)
        try Self.publish(events, to: aloneBroker.bootstrap)
        try Harness.waitUntil("the lone daemon to handle every event", timeout: 90, poll: 0.5) {
            try storeRows(alone.stateDir, plugin: "payment", table: "ledger") == events.count
        }
        #expect(alone.child.stop(SIGTERM) == 0)
        let expected = try pluginState(alone.stateDir, plugin: "payment")

        // Two machines sharing PostgreSQL (a network namespace each when run as root); one killed
        // with SIGKILL while the stream is handled.
        let network = try FleetNetwork(machines: ["a", "b"])
        defer { withExtendedLifetime(network) {} }  // to the end: its deinit removes the namespaces (after the daemons stop)
        let broker = try StandaloneMock(dir: dir, topics: FleetEndToEndTests.topics, host: network.brokerHost)
        let database = try PostgresServer(dir: "\(dir)/pg")
        let config = try Harness.configuration(in: dir, replacing: database.storeReplacement
                                                + [(#""session.timeout.ms" = "10000""#, #""session.timeout.ms" = "6000""#)])
        let (a, b) = try FleetEndToEndTests.twoMachines(config: config, broker: broker.bootstrap, plugins: plugins, dir: dir,
                                                        group: "payment-service-mission-group", topic: "mission-events", network: network)
        defer { a.child.stop(SIGKILL); b.child.stop(SIGKILL) }
        let half = events.count / 2
        try Self.publish(Array(events[..<half]), to: broker.bootstrap)
        try Harness.waitUntil("the first half to be under way", timeout: 60, poll: 0.2) {
            Int(try database.query("SELECT count(*) FROM eventd_payment.ledger").first?.first ?? "0") ?? 0 >= half / 2
        }
        #expect(a.child.stop(SIGKILL) != 0)
        try Self.publish(Array(events[half...]), to: broker.bootstrap)
        try Harness.waitUntil("every event handled once on the shared ledger", timeout: 120, poll: 0.5) {
            try database.query("SELECT count(*) FROM eventd_payment.ledger") == [["\(events.count)"]]
        }
        #expect(b.child.stop(SIGTERM) == 0)
        let shared = try database.pluginState("payment")
        let differing = users.filter { Self.summary(shared["wallet/\($0)"]) != Self.summary(expected["wallet/\($0)"]) }
        #expect(differing.isEmpty, "wallets differ from one daemon alone: \(differing.prefix(3).map { "\($0): \(Self.summary(shared["wallet/\($0)"])) vs \(Self.summary(expected["wallet/\($0)"]))" })")
        #expect(users.allSatisfy { Self.summary(expected["wallet/\($0)"]) != "none" }, "the lone daemon opened every wallet")
    }
}
