// Hot reload of one plugin under a stream of events: no event lost or
// handled twice, the version switches, other plugins never pause, and a bad
// build leaves the old version serving.
import Foundation
import Testing

@Suite(.serialized) struct ReloadEndToEndTests {
    func variant(_ version: String) -> String { "\(Harness.fixtureStage)/libecho-\(version).so.variant" }

    /// Replaces the plugin file the way a package upgrade does: write beside it, then rename over it.
    func install(_ source: String, as target: String) throws {
        guard FileManager.default.fileExists(atPath: source) else { throw HarnessError("\(source) missing: run `make fixtures`") }
        let temporary = target + ".new"
        try? FileManager.default.removeItem(atPath: temporary)
        try FileManager.default.copyItem(atPath: source, toPath: temporary)
        guard rename(temporary, target) == 0 else { throw HarnessError("rename failed: \(errno)") }
    }

    @Test func tenThousandEventsThroughFiveReloadsExactlyOnce() throws {
        let (daemon, _, plugins) = try DaemonUnderTest.embedded("reload", plugins: ["echo", "echo-c"], fixtures: ["counter"], pluginFiles: ["counter": "[plugin]\nenabled = true\n"])
        defer { daemon.child.stop() }
        try daemon.waitForAssignment(groups: 3)
        let b = daemon.bootstrap
        let events = EventStream.make(count: 10_000, keys: 50, ceEvery: 10_000, prefix: "rl")

        // Six segments of the stream; each reload lands while a segment is still being
        // produced and consumed (after 400 of its events were echoed), so every version
        // handles events and the reload happens under load, whatever the machine's speed.
        let bounds = [0, 1600, 3200, 4800, 6400, 8000, 10_000]
        func produceSegment(_ index: Int) -> UncheckedFlag {
            let done = UncheckedFlag()
            let segment = events[bounds[index]..<bounds[index + 1]]
            Thread {
                for chunk in stride(from: segment.startIndex, to: segment.endIndex, by: 200) {
                    try? EventStream.produce(events[chunk..<min(chunk + 200, segment.endIndex)], brokers: b, topic: "mission-events")
                    Thread.sleep(forTimeInterval: 0.05)
                }
                done.set()
            }.start()
            return done
        }

        var stalls: [Double] = []
        for (index, version) in ["1.0.2", "1.0.3", "1.0.4", "1.0.5", "1.0.6"].enumerated() {
            let segment = produceSegment(index)
            try Harness.waitUntil("the stream to progress", timeout: 120, poll: 0.1) {
                try EchoReport(Kcat.consumeAll(b, topic: "echo-events"), plugin: "echo").total >= bounds[index] + 400
            }
            try install(variant(version), as: "\(plugins)/libecho.so")
            let result = try Eventctl.run(["plugin-reload", "echo", "--json"], socket: daemon.socket)
            #expect(result.status == 0, "\(result.stderr)")
            let answer = try #require(try result.json()["result"] as? [String: Any])
            #expect(answer["new_version"] as? String == version)
            #expect(answer["groups"] as? [String] == ["echo-group"], "only the reloaded plugin's group is touched")
            stalls.append((answer["stall_ms"] as? Double) ?? Double(answer["stall_ms"] as? Int ?? -1))
            try Harness.waitUntil("segment \(index) produced", timeout: 120, poll: 0.1) { segment.isSet }
        }
        let last = produceSegment(5)
        print("reload stall per reload (ms): \(stalls.map { String(format: "%.3f", $0) }.joined(separator: ", ")); longest \(stalls.max() ?? 0) ms")

        try Harness.waitUntil("the producer to finish", timeout: 180, poll: 0.5) { last.isSet }
        var records: [ConsumedRecord] = []
        try Harness.waitUntil("10,000 echoes", timeout: 180, poll: 1) {
            records = try Kcat.consumeAll(b, topic: "echo-events")
            return EchoReport(records, plugin: "echo").total >= 10_000
        }
        let echo = EchoReport(records, plugin: "echo")
        #expect(echo.total == 10_000)
        #expect(echo.duplicates.isEmpty)
        #expect(echo.missing(from: events).isEmpty)
        #expect(echo.keysOutOfOrder.isEmpty)
        // The version header switches, in order, within each partition of echo-events.
        let versions = ["1.0.0", "1.0.2", "1.0.3", "1.0.4", "1.0.5", "1.0.6"]
        var byPartition: [Int: [Int]] = [:]
        for record in records where record.headers["x-echo-plugin"] == "echo" {
            byPartition[record.partition, default: []].append(versions.firstIndex(of: record.headers["x-echo-plugin-version"] ?? "") ?? -1)
        }
        #expect(byPartition.values.allSatisfy { seq in zip(seq, seq.dropFirst()).allSatisfy { $0 <= $1 } && !seq.contains(-1) })
        let seen = Set(records.compactMap { $0.headers["x-echo-plugin-version"] })
        #expect(seen == Set(versions), "every version handled part of the stream")
        // The counter plugin (another group) handled every event once and was never held.
        let stats = try Eventctl.run(["stats", "--json"], socket: daemon.socket).json()["result"] as? [String: Any]
        let counterGroup = (stats?["groups"] as? [[String: Any]])?.first { $0["name"] as? String == "counter-group" }
        let started = events.filter { $0.name == "mission.started" || $0.name == "mission.completed" }.count
        #expect((counterGroup?["counters"] as? [String: Any])?["handled"] as? Int == started)
        #expect(daemon.child.log.components(separatedBy: "plugin reloaded").count - 1 == 5)
    }

    @Test func brokenWrongABIAndFailingBuildsLeaveTheOldVersionServing() throws {
        let (daemon, dir, plugins) = try DaemonUnderTest.embedded("badreload", plugins: ["echo"])
        defer { daemon.child.stop() }
        let b = daemon.bootstrap
        let target = "\(plugins)/libecho.so"
        try install(variant("1.0.2"), as: target)
        #expect(try Eventctl.run(["plugin-reload", "echo"], socket: daemon.socket).status == 0)

        func stillServing(_ id: String) throws {
            try Kcat.produce(b, topic: "mission-events", lines: [("k", #"{"eventId":"\#(id)","eventType":"mission.started","occurredAt":"2026-11-24T10:00:00Z","payload":{"testId":"\#(id)","seq":0}}"#)])
            try Harness.waitUntil("\(id) echoed by 1.0.2", timeout: 60, poll: 0.5) {
                try Kcat.consumeAll(b, topic: "echo-events").contains {
                    EventStream.field("testId", in: $0.value) == id && $0.headers["x-echo-plugin-version"] == "1.0.2"
                }
            }
        }

        // A file that is not a shared object.
        try Data("not an ELF file".utf8).write(to: URL(fileURLWithPath: target + ".tmp"))
        rename(target + ".tmp", target)
        let broken = try Eventctl.run(["plugin-reload", "echo"], socket: daemon.socket)
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("cannot dlopen") && broken.stderr.contains("version 1.0.2 keeps serving"))
        try stillServing("after-broken")

        // A plugin built for another ABI.
        try install("\(Harness.fixtureStage)/libfixture-wrong-abi.so", as: target)
        let wrongABI = try Eventctl.run(["plugin-reload", "echo"], socket: daemon.socket)
        #expect(wrongABI.status == 1)
        #expect(wrongABI.stderr.contains("plugin ABI 99"))
        try stillServing("after-wrong-abi")

        // A good build whose init fails (its configuration makes it refuse).
        try install(variant("1.0.3"), as: target)
        try "[plugin]\nenabled = true\n\n[settings]\noutput_topic = \"\"\n".write(toFile: "\(dir)/etc/plugins.d/echo.toml", atomically: true, encoding: .utf8)
        let initFails = try Eventctl.run(["reload", "--json"], socket: daemon.socket)
        #expect(initFails.status == 1)
        #expect(initFails.stderr.contains("init failed") && initFails.stderr.contains("output_topic"))
        try stillServing("after-init-failure")

        let list = try Eventctl.run(["plugin-list", "--json"], socket: daemon.socket).json()["result"] as? [String: Any]
        #expect((list?["plugins"] as? [[String: Any]])?.first?["version"] as? String == "1.0.2")
        #expect(((list?["refused"] as? [[String: Any]])?.count ?? 0) >= 1)
    }
}
