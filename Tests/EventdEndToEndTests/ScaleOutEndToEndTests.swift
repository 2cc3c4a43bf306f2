// Scale-out: two daemons with the same configuration and one state directory
// share a consumer group; one is killed with SIGKILL mid-stream and the other
// takes over its partitions (after the session timeout) and the outbox relay.
import Foundation
import Testing

/// What one daemon's `stats` says about the tx-counter group.
struct GroupSnapshot {
    var handled = 0
    var duplicates = 0
    /// Assigned partitions of mission-events, with their lag.
    var lag: [Int: Int] = [:]

    init(_ daemon: DaemonUnderTest, group: String = "tx-counter-group", topic: String = "mission-events") throws {
        let result = try Eventctl.run(["stats", "--json"], socket: daemon.socket).json()["result"] as? [String: Any]
        let entry = (result?["groups"] as? [[String: Any]])?.first { $0["name"] as? String == group }
        let plugin = (entry?["plugins"] as? [[String: Any]])?.first
        handled = plugin?["handled"] as? Int ?? 0
        duplicates = plugin?["duplicates"] as? Int ?? 0
        for item in entry?["lag"] as? [[String: Any]] ?? [] where item["topic"] as? String == topic {
            if let partition = item["partition"] as? Int, let lag = item["lag"] as? Int { self.lag[partition] = lag }
        }
    }
}

/// Counts rows of a table in a plugin's store (the sqlite3 CLI; WAL lets it read beside running daemons).
func storeRows(_ stateDir: String, plugin: String, table: String) throws -> Int {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    process.arguments = ["\(stateDir)/plugins/\(plugin)/state.sqlite", "SELECT count(*) FROM \(table)"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
}

@Suite(.serialized) struct ScaleOutEndToEndTests {
    @Test func twoDaemonsShareAGroupAndTheSurvivorOfASigkillFinishesWithEveryEffectOnce() throws {
        let count = 4000
        let setUp = Date()
        let dir = try Harness.temporaryDirectory("scaleout")
        let broker = try StandaloneMock(dir: dir, topics: DeliveryEndToEndTests.topics)
        // A dead member's partitions move after the session timeout: 6 s instead of 10 (the shipped value).
        let config = try Harness.configuration(in: dir, replacing: [(#""session.timeout.ms" = "10000""#, #""session.timeout.ms" = "6000""#)],
                                               pluginFiles: ["tx-counter": "[plugin]\nenabled = true\n"])
        let plugins = try Harness.pluginDirectory(in: dir, plugins: [], fixtures: ["tx-counter"])
        // Same configuration, same state directory; own runtime directory and control socket each.
        let stateDir = "\(dir)/state"
        for name in ["a", "b"] { try FileManager.default.createDirectory(atPath: "\(dir)/\(name)", withIntermediateDirectories: true) }
        let a = try DaemonUnderTest(config: config, brokers: broker.bootstrap, pluginDir: plugins, dir: "\(dir)/a", stateDir: stateDir)
        defer { a.child.stop(SIGKILL) }
        try a.waitForAssignment(groups: 1)
        let b = try DaemonUnderTest(config: config, brokers: broker.bootstrap, pluginDir: plugins, dir: "\(dir)/b", stateDir: stateDir)
        defer { b.child.stop(SIGKILL) }
        try Harness.waitUntil("both daemons to hold mission-events partitions", timeout: 60, poll: 0.5) {
            let (pa, pb) = (Set(try GroupSnapshot(a).lag.keys), Set(try GroupSnapshot(b).lag.keys))
            return !pa.isEmpty && !pb.isEmpty && pa.isDisjoint(with: pb) && pa.union(pb).count == 6
        }
        // The first daemon publishes the shared outbox; the second stands by.
        #expect(a.child.log.contains("outbox relay publishing this store's outbox"))
        #expect(b.child.log.contains("outbox relay standing by"))

        let all = (0..<count).map { i in
            ("user-\(i % 40)", #"{"eventId":"scale-\#(i)","eventType":"mission.started","occurredAt":"2026-11-24T10:00:00Z"}"#)
        }
        let start = Date()
        let produced = Kcat.stream(all, to: broker.bootstrap, pause: 0.3)

        // Both handle part of the stream; then the one holding the outbox lease dies mid-stream.
        var handledBeforeKill = (a: 0, b: 0)
        try Harness.waitUntil("both daemons to handle events", timeout: 30, poll: 0.2) {
            handledBeforeKill = (try GroupSnapshot(a).handled, try GroupSnapshot(b).handled)
            return handledBeforeKill.a >= 300 && handledBeforeKill.b >= 300
        }
        #expect(!produced.isSet, "the kill must land mid-stream")
        #expect(a.child.stop(SIGKILL) != 0)
        let killedAt = Date()

        try Harness.waitUntil("the survivor to take every partition", timeout: 40, poll: 0.5) {
            try GroupSnapshot(b).lag.count == 6
        }
        let takeover = Date().timeIntervalSince(killedAt)
        try Harness.waitUntil("the producer", timeout: 60, poll: 0.2) { produced.isSet }
        // The ledger (shared) has an entry per handled id; the outbox is empty once all is published.
        try Harness.waitUntil("every event handled and published", timeout: 60, poll: 0.5) {
            try storeRows(stateDir, plugin: "tx-counter", table: "ledger") == count
                && storeRows(stateDir, plugin: "tx-counter", table: "outbox") == 0
        }
        let survivor = try GroupSnapshot(b)
        let done = Date()
        #expect(b.child.log.contains("outbox relay took over publishing this store's outbox"))
        #expect(b.child.stop(SIGTERM) == 0)

        let state = try pluginState(stateDir, plugin: "tx-counter")
        let seen = state.filter { $0.key.hasPrefix("seen/scale-") }
        #expect(seen.count == count, "every event handled")
        let repeated = seen.filter { $0.value != "1" }
        #expect(repeated.isEmpty, "state effects applied more than once: \(repeated.prefix(5))")
        #expect(state["total"] == String(count), "the running total counts each event once")

        let followUps = try Kcat.consumeAll(broker.bootstrap, topic: "counter-events")
        let ids = Set(followUps.map(\.value))
        #expect(ids.count == count, "every follow-up reached the broker")
        // One follow-up per id, unless the killed relay had a batch acknowledged but not yet
        // deleted: those rows go again with the same ids (at most one batch, 500 rows).
        let resent = followUps.count - ids.count
        #expect(resent <= 500, "\(resent) follow-ups sent twice")
        // The shared running total was read and written under one lock by both daemons:
        // the totals the follow-ups carry are exactly 1...count.
        var totals: [String: String] = [:]
        for record in followUps { totals[record.value] = record.headers["x-counter-total"] }
        #expect(Set(totals.values.compactMap { Int($0) }) == Set(1...count), "the two daemons' transactions interleaved")
        print("""
            scale-out: \(count) events; before the kill a handled \(handledBeforeKill.a), b \(handledBeforeKill.b); \
            b took every partition \(String(format: "%.1f", takeover)) s after the SIGKILL, skipped \(survivor.duplicates) \
            re-delivered ids; \(followUps.count) follow-up records for \(ids.count) ids; \
            \(String(format: "%.1f", done.timeIntervalSince(start))) s from the first event to the last follow-up \
            (group set-up took \(String(format: "%.1f", start.timeIntervalSince(setUp))) s)
            """)
    }
}
