// devtrip-eventctl against a running daemon: every command, its JSON form,
// its exit codes, and the socket's defences.
import EventdControl
import Foundation
import Testing

@Suite(.serialized) struct ControlEndToEndTests {
    static let counterSettings = "[plugin]\nenabled = true\n\n[settings]\noutput_topic = \"counter-events\"\nreject_id = \"bad-1\"\n"

    func envelope(_ id: String, _ name: String = "mission.started") -> String {
        #"{"eventId":"\#(id)","eventType":"\#(name)","occurredAt":"2026-11-24T10:00:00Z","payload":{"testId":"\#(id)","seq":0}}"#
    }

    func startDaemon(_ tag: String, replacing: [(String, String)] = [], counter: String = counterSettings) throws -> (DaemonUnderTest, String) {
        let dir = try Harness.temporaryDirectory(tag)
        let config = try Harness.configuration(in: dir, replacing: replacing, pluginFiles: ["counter": counter])
        let plugins = try Harness.pluginDirectory(in: dir, plugins: ["echo", "echo-c"], fixtures: ["counter"])
        return (try DaemonUnderTest(config: config, brokers: "embedded", pluginDir: plugins, dir: dir), dir)
    }

    func echoedIDs(_ bootstrap: String, plugin: String = "echo") throws -> [String] {
        try Kcat.consumeAll(bootstrap, topic: "echo-events").filter { $0.headers["x-echo-plugin"] == plugin }
            .compactMap { EventStream.field("testId", in: $0.value) }
    }

    @Test func everyCommandAnswersInJSONWithItsExitCode() throws {
        let (daemon, dir) = try startDaemon("ctl")
        defer { daemon.child.stop() }
        let ctl = { (args: [String]) throws -> CommandResult in try Eventctl.run(args, socket: daemon.socket) }
        let b = daemon.bootstrap
        try Kcat.produce(b, topic: "mission-events", lines: [("u1", envelope("ok-1")), ("u1", envelope("bad-1")), ("u2", envelope("ok-2"))])
        try Harness.waitUntil("the first events", timeout: 60, poll: 0.5) { try echoedIDs(b).count >= 3 }

        // status
        let status = try ctl(["status", "--json"])
        #expect(status.status == 0)
        let statusResult = try #require(try status.json()["result"] as? [String: Any])
        #expect(statusResult["plugins"] as? Int == 3)
        let groupNames = (statusResult["groups"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(groupNames == ["counter-group", "echo-c-group", "echo-group"])
        #expect(try ctl(["status"]).stdout.contains("GROUP"))

        // plugin-list
        let list = try #require(try ctl(["plugin-list", "--json"]).json()["result"] as? [String: Any])
        let plugins = try #require(list["plugins"] as? [[String: Any]])
        #expect(Set(plugins.compactMap { $0["name"] as? String }) == ["counter", "echo", "echo-c"])
        #expect(plugins.first { $0["name"] as? String == "echo" }?["version"] as? String == "1.0.0")
        let counterClaims = plugins.first { $0["name"] as? String == "counter" }?["claims"] as? [[String: String]]
        #expect(counterClaims?.contains(["event": "mission.started", "group": "counter-group"]) == true)

        // stats
        try Harness.waitUntil("counter to handle 2 events", timeout: 30, poll: 0.5) {
            let stats = try ctl(["stats", "--json"]).json()["result"] as? [String: Any]
            let group = (stats?["groups"] as? [[String: Any]])?.first { $0["name"] as? String == "counter-group" }
            let counter = (group?["plugins"] as? [[String: Any]])?.first { $0["plugin"] as? String == "counter" }
            return counter?["handled"] as? Int == 2 && counter?["failed"] as? Int == 1
        }

        // consumer-pause / resume: echo-group stops on mission-events, counter-group does not.
        let pause = try ctl(["consumer-pause", "echo-group", "mission-events", "--json"])
        #expect(pause.status == 0)
        #expect((try pause.json()["result"] as? [String: Any])?["paused_topics"] as? [String] == ["mission-events"])
        try Kcat.produce(b, topic: "mission-events", lines: [("u3", envelope("paused-1"))])
        try Harness.waitUntil("counter to see the event while echo is paused", timeout: 30, poll: 0.5) {
            try Kcat.consumeAll(b, topic: "counter-events").contains { $0.value == "paused-1" }
        }
        Thread.sleep(forTimeInterval: 1)
        #expect(try !echoedIDs(b).contains("paused-1"))
        #expect(try ctl(["consumer-resume", "echo-group", "--json"]).status == 0)
        try Harness.waitUntil("echo to resume", timeout: 30, poll: 0.5) { try echoedIDs(b).contains("paused-1") }

        // plugin-disable / enable: the counter's group pauses; nothing is lost.
        let disable = try ctl(["plugin-disable", "counter", "--json"])
        #expect((try disable.json()["result"] as? [String: Any])?["state"] as? String == "disabled")
        let listed = try ctl(["plugin-list", "--json"]).json()["result"] as? [String: Any]
        #expect((listed?["plugins"] as? [[String: Any]])?.first { $0["name"] as? String == "counter" }?["state"] as? String == "disabled")
        try Kcat.produce(b, topic: "mission-events", lines: [("u4", envelope("while-disabled"))])
        try Harness.waitUntil("echo to see it", timeout: 30, poll: 0.5) { try echoedIDs(b).contains("while-disabled") }
        Thread.sleep(forTimeInterval: 1)
        #expect(try !Kcat.consumeAll(b, topic: "counter-events").contains { $0.value == "while-disabled" })
        #expect(try ctl(["plugin-enable", "counter"]).status == 0)
        try Harness.waitUntil("counter to catch up", timeout: 30, poll: 0.5) {
            try Kcat.consumeAll(b, topic: "counter-events").contains { $0.value == "while-disabled" }
        }

        // dlq-list: the counter rejected bad-1.
        let dlq = try #require(try ctl(["dlq-list", "mission-events.dlq", "--json"]).json()["result"] as? [String: Any])
        let records = try #require(dlq["records"] as? [[String: Any]])
        let rejected = try #require(records.first { $0["event_id"] as? String == "bad-1" })
        #expect(rejected["outcome"] as? String == "rejected")
        #expect(rejected["plugin"] as? String == "counter")
        #expect(rejected["error"] as? String == "rejected by fixture")
        #expect(rejected["original_topic"] as? String == "mission-events")

        // dlq-replay while the handler still rejects: failed (exit 1), dead-lettered again with its origin.
        let again = try ctl(["dlq-replay", "mission-events.dlq", "--event-id", "bad-1", "--json"])
        #expect(again.status == 1)
        #expect(((try again.json()["result"] as? [String: Any])?["failed"] as? [Any])?.count == 1)
        try Harness.waitUntil("a second dead letter", timeout: 30, poll: 0.5) {
            try Kcat.consumeAll(b, topic: "mission-events.dlq").contains { $0.headers["x-dlq-replayed-from"] != nil }
        }

        // reload with a fixed configuration, then replay succeeds.
        try Self.counterSettings.replacingOccurrences(of: "reject_id = \"bad-1\"\n", with: "")
            .write(toFile: "\(dir)/etc/plugins.d/counter.toml", atomically: true, encoding: .utf8)
        let reload = try ctl(["reload", "--json"])
        #expect(reload.status == 0)
        let reloaded = (try reload.json()["result"] as? [String: Any])?["reloaded"] as? [[String: Any]]
        #expect(reloaded?.map { $0["name"] as? String } == ["counter"])
        let replay = try ctl(["dlq-replay", "mission-events.dlq", "--event-id", "bad-1", "--json"])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(((try replay.json()["result"] as? [String: Any])?["replayed"] as? [String])?.count == 2, "both dead letters of bad-1")
        try Harness.waitUntil("the replayed event's follow-up", timeout: 30, poll: 0.5) {
            try Kcat.consumeAll(b, topic: "counter-events").contains { $0.value == "bad-1" }
        }

        // plugin-reload of an unchanged file: same version, measured stall.
        let pluginReload = try ctl(["plugin-reload", "echo", "--json"])
        #expect(pluginReload.status == 0)
        let answer = try #require(try pluginReload.json()["result"] as? [String: Any])
        #expect(answer["new_version"] as? String == "1.0.0")
        #expect(answer["stall_ms"] is Double || answer["stall_ms"] is Int)
        #expect(try ctl(["plugin-reload", "echo"]).stdout.contains("echo: 1.0.0 -> 1.0.0 live"))

        // Exit codes: refused 2, usage 64, unreachable 69, conf-check 0.
        let unknown = try ctl(["plugin-reload", "no-such-plugin"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no plugin named 'no-such-plugin'"))
        #expect(try ctl(["consumer-pause", "no-such-group"]).status == 2)
        #expect(try ctl(["dlq-list", "mission-events"]).status == 2, "not a dead-letter topic")
        #expect(try ctl(["dlq-replay", "mission-events.dlq"]).status == 64, "needs --event-id or --all")
        #expect(try Eventctl.run(["status"], socket: "\(dir)/nowhere.sock").status == 69)
        #expect(try ctl(["conf-check", "--config", "\(dir)/etc/eventd.toml"]).status == 0)
        #expect(daemon.child.stop() == 0)
    }

    @Test func onlyRootTheDaemonsUserAndTheAdminGroupMayUseTheSocket() throws {
        // nogroup is the admin group here, so nobody (65534:65534) is a member; daemon (1:1) is not.
        let (daemon, _) = try startDaemon("sec", replacing: [(#"admin_group = "devtrip-eventd-admin""#, #"admin_group = "nogroup""#)])
        defer { daemon.child.stop() }
        var st = stat()
        #expect(stat(daemon.socket, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o660)
        #expect(st.st_gid == 65534)

        let member = try Eventctl.run(["status", "--json"], socket: daemon.socket, user: (65534, 65534))
        #expect(member.status == 0, "\(member.stderr)")

        let outsider = try Eventctl.run(["status"], socket: daemon.socket, user: (1, 1))
        #expect(outsider.status == 69, "mode 0660 keeps others from connecting at all")

        // Even if the file mode is loosened by mistake, the peer credential check refuses.
        chmod(daemon.socket, 0o666)
        let loosened = try Eventctl.run(["status"], socket: daemon.socket, user: (1, 1))
        #expect(loosened.status == 2)
        #expect(loosened.stderr.contains("uid 1 is neither root nor a member of group nogroup"))
        #expect(daemon.child.log.contains("control connection refused"))
    }

    @Test func garbageOversizedAndHalfWrittenRequestsGetErrorsWhileEventsFlow() throws {
        let (daemon, _) = try startDaemon("garbage")
        defer { daemon.child.stop() }
        let b = daemon.bootstrap
        let events = EventStream.make(count: 300, keys: 6, ceEvery: 1000, prefix: "flow")
        let producer = Thread { try? EventStream.produce(events[...], brokers: b, topic: "mission-events") }
        producer.start()

        func exchange(_ bytes: Data, wait: Double = 10) throws -> ControlResponse? {
            let socket = try UnixSocket.connect(path: daemon.socket)
            try socket.setReceiveTimeout(seconds: wait)
            try socket.writeAll(bytes)
            var reader = LineReader(socket: socket, limit: 1 << 20)
            guard case .line(let line) = try reader.next() else { return nil }
            return try JSONDecoder().decode(ControlResponse.self, from: line)
        }
        let garbage = try #require(try exchange(Data("this is not json\n".utf8)))
        #expect(!garbage.ok && garbage.error?.code == .badRequest)
        let unknown = try #require(try exchange(Data(#"{"v":1,"cmd":"self-destruct","args":{}}"#.utf8 + [0x0A])))
        #expect(unknown.error?.code == .badRequest && unknown.error?.message.contains("unknown command") == true)
        let badArg = try #require(try exchange(Data(#"{"v":1,"cmd":"status","args":{"force":"yes"}}"#.utf8 + [0x0A])))
        #expect(badArg.error?.message.contains("takes no argument 'force'") == true)
        let version = try #require(try exchange(Data(#"{"v":2,"cmd":"status","args":{}}"#.utf8 + [0x0A])))
        #expect(version.error?.message.contains("protocol version 2") == true)
        let oversized = try #require(try exchange(Data(repeating: 0x41, count: controlMaxRequestBytes + 10)))
        #expect(oversized.error?.code == .badRequest && oversized.error?.message.contains("exceeds") == true)
        let half = try #require(try exchange(Data(#"{"v":1,"cmd":"sta"#.utf8), wait: 15))
        #expect(half.error?.message.contains("incomplete request") == true)
        // A good request on the same daemon still works.
        let fine = try #require(try exchange(Data(#"{"v":1,"cmd":"status","args":{}}"#.utf8 + [0x0A])))
        #expect(fine.ok)

        try Harness.waitUntil("all 300 events echoed", timeout: 90, poll: 1) { try echoedIDs(b).count >= 300 }
        let echoed = try echoedIDs(b)
        #expect(Set(echoed).count == 300 && echoed.count == 300)
    }
}
