// plugins/sdk/README.md followed as a team outside this repository would:
// its `tested:` command blocks run as written (a scratch home whose
// ~/devtrip-eventd links to this checkout), the plugins they build loaded
// into a running daemon through `make run-plugins PLUGIN_DIRS=...` as the
// guide's `make run` line names them, their follow-ups read back, then the
// guide's change-and-reload blocks and the new behaviour checked. Once for
// the Swift template, once for its C version with devtrip_eventd_event.h.
import CEventdPlugin
import Foundation
import Testing

@Suite(.serialized) struct PluginGuideEndToEndTests {
    static let guide = "\(Harness.repo)/plugins/sdk/README.md"

    /// The commands of the ```sh block after `<!-- tested: name -->` in the guide.
    static func block(_ name: String) throws -> String {
        let text = try String(contentsOfFile: guide, encoding: .utf8)
        guard let marker = text.range(of: "<!-- tested: \(name) -->"),
              let open = text.range(of: "```sh\n", range: marker.upperBound..<text.endIndex),
              let close = text.range(of: "```", range: open.upperBound..<text.endIndex) else {
            throw HarnessError("\(guide) has no `tested: \(name)` sh block")
        }
        return String(text[open.upperBound..<close.lowerBound])
    }

    /// Runs `script` with bash (-e -u -o pipefail) and HOME = `home`; its output goes to `<home>/<log>.log`.
    static func shell(_ script: String, home: String, log: String) throws {
        let logPath = "\(home)/\(log).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-euo", "pipefail", "-c", script]
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home
        for inherited in ["MAKEFLAGS", "MFLAGS", "MAKELEVEL", "DEVTRIP_EVENTD_SDK", "DEVTRIP_EVENTD_SOCKET"] { environment[inherited] = nil }
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: home)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw HarnessError("`\(log)` failed (\(process.terminationStatus)):\n\(script)\n--- output:\n\(text.suffix(3000))")
        }
    }

    /// The Swift SDK's follow-up id, computed by the C helper (EventHelperCTests: the two agree).
    static func followUpID(_ eventID: String, plugin: String) -> String {
        var out = [CChar](repeating: 0, count: Int(DTE_FOLLOW_UP_ID_SIZE))
        dte_follow_up_id(eventID, plugin, 0, &out)
        return out.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    static func completion(_ id: String, user: String, payload: String? = nil) -> (key: String, value: String) {
        let body = payload ?? #"{"userId":"\#(user)","missionId":"m-\#(id)","resultKey":"r","durationSeconds":60}"#
        return (user, #"{"eventId":"\#(id)","eventType":"mission.completed","occurredAt":"2026-12-01T10:00:00Z","source":"mission-service","subject":"\#(user)","payload":\#(body)}"#)
    }

    struct Reward {
        var key: String
        var json: [String: Any]
        var payload: [String: Any] { json["payload"] as? [String: Any] ?? [:] }
    }

    static func rewards(_ brokers: String, topic: String) throws -> [Reward] {
        try Kcat.consumeAll(brokers, topic: topic).map { record in
            Reward(key: record.key, json: (try JSONSerialization.jsonObject(with: Data(record.value.utf8)) as? [String: Any]) ?? [:])
        }
    }

    @Test func aTeamFollowsTheGuideInSwiftAndInC() throws {
        let home = try Harness.temporaryDirectory("guide") + "/home"
        let checkout = "\(home)/devtrip-eventd"
        let fm = FileManager.default
        try fm.createDirectory(atPath: "\(checkout)/.build", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: "\(checkout)/plugins", withDestinationPath: "\(Harness.repo)/plugins")
        try fm.createSymbolicLink(atPath: "\(checkout)/packaging", withDestinationPath: "\(Harness.repo)/packaging")
        try fm.createSymbolicLink(atPath: "\(checkout)/.build/debug", withDestinationPath: (Harness.daemonBinary as NSString).deletingLastPathComponent)

        // 1. Start from the template, in Swift and in C, and build both.
        try Self.shell(Self.block("swift-new"), home: home, log: "swift-new")
        try Self.shell(Self.block("c-new"), home: home, log: "c-new")

        // 2. Load them as `make run PLUGIN_DIRS=...` does (its plugin directory of links; the daemon with the
        //    shipped configuration on the embedded cluster, run directory where the guide's commands look).
        let runLine = try Self.block("run")
        let dirs = try #require(runLine.range(of: #"PLUGIN_DIRS="[^"]*""#, options: .regularExpression).map { String(runLine[$0]) })
        let run = "\(checkout)/.build-run"
        // `make run` itself (dry run: it would build every plugin): the links' directory is its plugin directory,
        // and it installs no test broker.
        try Self.shell("make -C '\(Harness.repo)' --no-print-directory -n run \(dirs) > make-run.txt", home: home, log: "make-run-n")
        let dryRun = try String(contentsOfFile: "\(home)/make-run.txt", encoding: .utf8)
        #expect(dryRun.contains("--plugin-dir \(Harness.repo)/.build-run/plugins") && dryRun.contains("setup-run-deps.sh"))
        #expect(!dryRun.contains("setup-test-deps.sh") && dryRun.contains("\(home)/src/mission-rewards/.build/debug"))
        try Self.shell("make -C '\(Harness.repo)' --no-print-directory run-plugins \(dirs) RUN_PLUGINS='\(run)/plugins' STAGE='\(run)/no-stage'",
                       home: home, log: "run-plugins")
        let links = try fm.contentsOfDirectory(atPath: "\(run)/plugins").sorted()
        #expect(links == ["libmission-rewards-c.so", "libmission-rewards.so"])
        let config = try Harness.configuration(in: run, replacing: [(#"log_level = "info""#, #"log_level = "debug""#)])
        let daemon = try DaemonUnderTest(config: config, brokers: "embedded", pluginDir: "\(run)/plugins", dir: run)
        defer { daemon.child.stop() }
        try daemon.waitForAssignment(groups: 2)
        let b = daemon.bootstrap
        let swiftTopic = "mission-rewards-events", cTopic = "mission-rewards-c-events"

        // 3. The third completion of a user is rewarded, with the deterministic id; a bad payload is dead-lettered.
        try Kcat.produce(b, topic: "mission-events", lines: (1...3).map { Self.completion("guide-\($0)", user: "user-1") })
        try Kcat.produce(b, topic: "mission-events", lines: [Self.completion("guide-bad", user: "user-1", payload: #"{"missionId":"m"}"#)])
        // Read only once the daemon made them: a reader's metadata request would auto-create them with 4 partitions.
        try Harness.waitUntil("both output topics created", timeout: 60, poll: 0.5) {
            let created = daemon.child.log.split(separator: "\n").filter { $0.contains("embedded topic created") }
            return [swiftTopic, cTopic].allSatisfy { topic in created.contains { $0.contains("topic=\(topic) ") } }
        }
        try Harness.waitUntil("a reward from each plugin and two dead letters", timeout: 60, poll: 0.5) {
            try Self.rewards(b, topic: swiftTopic).count == 1 && Self.rewards(b, topic: cTopic).count == 1
                && Kcat.consumeAll(b, topic: "mission-events.dlq").count == 2
        }
        for (topic, plugin) in [(swiftTopic, "mission-rewards"), (cTopic, "mission-rewards-c")] {
            let reward = try #require(try Self.rewards(b, topic: topic).first)
            #expect(reward.key == "user-1")
            #expect(reward.json["eventType"] as? String == "reward.granted")
            #expect(reward.json["eventId"] as? String == Self.followUpID("guide-3", plugin: plugin), "\(plugin)")
            #expect(reward.json["causationId"] as? String == "guide-3" && reward.json["source"] as? String == plugin)
            #expect(reward.payload["completedMissions"] as? Int == 3 && reward.payload["every"] as? Int == 3)
            // Created for the plugin's first record with [embedded] partitions, not the mock cluster's default of 4.
            let metadata = try Kcat.run(["-b", b, "-L", "-t", topic])
            #expect(metadata.contains("\"\(topic)\" with 6 partitions"), "\(metadata)")
        }
        let dead = try Kcat.consumeAll(b, topic: "mission-events.dlq")
        #expect(Set(dead.compactMap { $0.headers["x-dlq-consumer-group"] }) == ["mission-rewards-group", "mission-rewards-c-group"])
        #expect(dead.allSatisfy { $0.headers["x-dlq-error"]?.contains("userId") == true })

        // The same event id again: skipped by both groups' ledgers, counted and logged, no second reward.
        try Kcat.produce(b, topic: "mission-events", lines: [Self.completion("guide-3", user: "user-1")])
        try Harness.waitUntil("two duplicates in stats", timeout: 30, poll: 0.5) {
            let stats = try Eventctl.run(["stats", "--json"], socket: daemon.socket).json()
            let groups = (stats["result"] as? [String: Any])?["groups"] as? [[String: Any]] ?? []
            return groups.compactMap { ($0["counters"] as? [String: Any])?["duplicates"] as? Int }.reduce(0, +) == 2
        }
        let statsText = try Eventctl.run(["stats"], socket: daemon.socket).stdout
        #expect(statsText.contains("DUPLICATES"))
        let pluginRows = statsText.split(separator: "\n").filter { $0.contains("mission-rewards") && !$0.contains("-group") }
        #expect(pluginRows.count == 2 && pluginRows.allSatisfy { $0.split(separator: " ").map(String.init)[2] == "1" }, "\(statsText)")
        #expect(daemon.child.log.components(separatedBy: "duplicate skipped").count - 1 == 2)
        #expect(try Self.rewards(b, topic: swiftTopic).count == 1 && Self.rewards(b, topic: cTopic).count == 1)

        // 4. Change both (a reward every second completion), rebuild, plugin-reload: the guide's blocks.
        try Self.shell(Self.block("swift-change"), home: home, log: "swift-change")
        try Self.shell(Self.block("c-change"), home: home, log: "c-change")
        let list = try Eventctl.run(["plugin-list", "--json"], socket: daemon.socket).json()
        let plugins = (list["result"] as? [String: Any])?["plugins"] as? [[String: Any]] ?? []
        #expect(Dictionary(uniqueKeysWithValues: plugins.map { ($0["name"] as? String ?? "", $0["version"] as? String ?? "") })
                == ["mission-rewards": "1.1.0", "mission-rewards-c": "1.1.0"])

        // The fourth completion: rewarded now (4 is not a multiple of 3); the counters survived the reload.
        try Kcat.produce(b, topic: "mission-events", lines: [Self.completion("guide-4", user: "user-1")])
        try Harness.waitUntil("the second reward of each plugin", timeout: 60, poll: 0.5) {
            try Self.rewards(b, topic: swiftTopic).count == 2 && Self.rewards(b, topic: cTopic).count == 2
        }
        for (topic, plugin) in [(swiftTopic, "mission-rewards"), (cTopic, "mission-rewards-c")] {
            let reward = try #require(try Self.rewards(b, topic: topic).last)
            #expect(reward.json["eventId"] as? String == Self.followUpID("guide-4", plugin: plugin), "\(plugin)")
            #expect(reward.payload["completedMissions"] as? Int == 4 && reward.payload["every"] as? Int == 2, "\(plugin)")
        }
        #expect(daemon.child.stop() == 0)
        try? fm.removeItem(atPath: "\(home)/src")  // the plugin builds; the logs stay
    }
}
