// devtrip-eventctl: each report in words, and each subcommand's request as the table checks it.
import ArgumentParser
import EventdControl
import Testing
@testable import devtrip_eventctl

@Suite struct EventctlRenderTests {
    @Test func statusShowsTheDaemonAndATableOfGroups() {
        var counters = CounterReport()
        counters.consumed = 5
        counters.handled = 4
        let groups = [
            StatusReport.Group(name: "echo-group", topics: ["a", "b"], pausedTopics: ["a"], disabledPlugins: [], counters: counters),
            StatusReport.Group(name: "g2", topics: ["c"], pausedTopics: [], disabledPlugins: [], counters: CounterReport()),
        ]
        let status = StatusReport(version: "0.1.0", pid: 7, uptimeSeconds: 3, brokers: "b:9092", plugins: 2, refusedPlugins: 1, reloads: 4,
                                  degraded: .init(reason: "down", since: "2026-12-01T10:00:00Z", seconds: 12), groups: groups, counters: counters)
        #expect(status.text == """
            version:   0.1.0
            pid:       7
            uptime:    3 s
            brokers:   b:9092
            plugins:   2 loaded, 1 refused
            reloads:   4
            kafka:     DEGRADED since 2026-12-01T10:00:00Z (12 s): down
            GROUP       PAUSED  CONSUMED  HANDLED  SKIPPED  DEAD  TOPICS
            echo-group  a       5         4        0        0     a,b
            g2          -       0         0        0        0     c

            """)
        #expect(Render.kafka(nil) == "ok")
    }

    @Test func statsShowDuplicatesPerGroupAndPlugin() {
        var counters = CounterReport()
        (counters.consumed, counters.handled, counters.duplicates) = (9, 6, 3)
        let plugin = StatsReport.Plugin(plugin: "rewards", handled: 6, failed: 0, retries: 1, parked: 0, duplicates: 3, latencyAvgUs: 40, latencyMaxUs: 90)
        let stats = StatsReport(groups: [.init(name: "rewards-group", counters: counters, rebalances: 1, plugins: [plugin], lag: [])],
                                totals: counters, reloads: 2, longestReloadStallMs: 1)
        #expect(stats.text == """
            GROUP          PLUGIN   CONSUMED  HANDLED  SKIPPED  DUPLICATES  RETRIES  DEAD  AVG-US  MAX-US
            rewards-group  *        9         6        0        3           0        0     -       -
                           rewards            6                 3           1        0     40      90
            reloads: 2, longest reload stall: 1 ms

            """)
    }

    @Test func reloadReportsSayWhatChanged() {
        let one = PluginReloadReport(name: "echo", oldVersion: "1.0.0", newVersion: "1.0.0", stallMs: 0.25, reloadMs: 12, groups: [])
        #expect(one.text == "echo: 1.0.0 -> 1.0.0 live (stall 0.25 ms, reload 12 ms)\n")
        var all = ReloadReport()
        all.reloaded = [one]
        all.unloaded = ["gone"]
        all.refused = [RefusedFile(path: "/p/x.so", reason: "bad abi")]
        all.unchanged = 2
        all.restartRequired = ["kafka.brokers", "events"]
        #expect(all.text == """
            reloaded echo: 1.0.0 -> 1.0.0
            unloaded gone
            refused /p/x.so: bad abi
            unchanged: 2
            restart required for: kafka.brokers,events

            """)
    }

    @Test func pauseAndPluginStateAreOneLine() {
        #expect(ConsumerReport(group: "g", pausedTopics: []).text == "g: running\n")
        #expect(ConsumerReport(group: "g", pausedTopics: ["a", "b"]).text == "g: paused (a,b)\n")
        #expect(PluginStateReport(name: "counter", state: "disabled", groups: ["g1", "g2"]).text == "counter disabled (consumer groups: g1,g2)\n")
    }

    @Test func deadLettersShowADashForWhatTheirHeadersLack() {
        var record = DeadLetterListReport.Record(partition: 0, offset: 9, key: "k", eventId: nil)
        record.outcome = "malformed"
        record.originalTopic = "m"
        #expect(DeadLetterListReport(topic: "m.dlq", records: [record]).text == """
            P  OFFSET  EVENT-ID  OUTCOME    PLUGIN  GROUP  FROM   ERROR
            0  9       -         malformed  -       -      m/-/-  -

            """)
        var replay = ReplayReport(topic: "m.dlq")
        replay.replayed = ["a"]
        replay.failed = [.init(eventId: "b", offset: 3, reason: "handler failed again (rejected)")]
        #expect(replay.text == "replayed 1, failed 1, skipped 0\nfailed b (offset 3): handler failed again (rejected)\n")
    }

    @Test func anAnswerThatIsNotTheExpectedReportIsShownAsJSON() throws {
        let text = Render.text(answering: .status, ["surprise": true])
        #expect(text.contains(#""surprise" : true"#))
        let stall = try JSONValue(encoding: PluginReloadReport(name: "e", oldVersion: "1", newVersion: "2", stallMs: 1, reloadMs: 2.5, groups: []))
        #expect(Render.text(answering: .pluginReload, stall) == "e: 1 -> 2 live (stall 1 ms, reload 2.5 ms)\n")
    }

    @Test func eachSubcommandIsNamedAndDescribedByItsRow() {
        let subcommands: [any TableCommand.Type] = [Status.self, PluginList.self, PluginReload.self, Reload.self, PluginDisable.self,
                                                     PluginEnable.self, ConsumerPause.self, ConsumerResume.self, DLQList.self,
                                                     DLQReplay.self, Stats.self]
        #expect(subcommands.map { $0.verb } == ControlVerb.allCases)
        for command in subcommands {
            let row = ControlCommands[command.verb]
            #expect(command.configuration.commandName == row.name)
            #expect(command.configuration.abstract == row.help)
            #expect(command.configuration.usage == "devtrip-eventctl \(row.usage)")
        }
    }

    @Test func subcommandsSendWhatTheTableAccepts() throws {
        #expect(try PluginReload.parse(["echo"]).request == ControlRequest("plugin-reload", ["name": "echo"]))
        #expect(try ConsumerPause.parse(["g"]).request == ControlRequest("consumer-pause", ["group": "g"]))
        #expect(try ConsumerResume.parse(["g", "t", "--json"]).request == ControlRequest("consumer-resume", ["group": "g", "topic": "t"]))
        #expect(try DLQList.parse(["m.dlq"]).request == ControlRequest("dlq-list", ["topic": "m.dlq"]))
        #expect(try DLQReplay.parse(["m.dlq", "--all"]).request == ControlRequest("dlq-replay", ["topic": "m.dlq", "all": "true"]))
        #expect(try DLQReplay.parse(["m.dlq", "--event-id", "e1"]).request == ControlRequest("dlq-replay", ["topic": "m.dlq", "event-id": "e1"]))
        #expect(try Stats.parse(["--socket", "/x.sock"]).arguments.connection.socket == "/x.sock")
        #expect(throws: (any Error).self) { try DLQReplay.parse(["m.dlq"]) }
        #expect(throws: (any Error).self) { try DLQReplay.parse(["m.dlq", "--all", "--event-id", "e1"]) }
        #expect(throws: (any Error).self) { try PluginEnable.parse([""]) }
        #expect(throws: (any Error).self) { try Status.parse(["extra"]) }
    }

    @Test func theSocketOptionMayComeBeforeTheCommand() throws {
        func socket(_ arguments: [String]) throws -> String? {
            let command = try EventctlCommand.parseAsRoot(EventctlCommand.socketAfterCommand(arguments))
            return (command as? Status)?.arguments.connection.socket ?? (command as? Stats)?.arguments.connection.socket
        }
        #expect(try socket(["-s", "/a.sock", "status"]) == "/a.sock")
        #expect(try socket(["--socket", "/b.sock", "status", "--json"]) == "/b.sock")
        #expect(try socket(["--socket=/c.sock", "stats"]) == "/c.sock")
        #expect(try socket(["status", "-s", "/d.sock"]) == "/d.sock")
        #expect(EventctlCommand.socketAfterCommand(["status", "--socket", "/e.sock"]) == ["status", "--socket", "/e.sock"])
        #expect(EventctlCommand.socketAfterCommand(["-s", "/f.sock", "dlq-list", "m.dlq"]) == ["dlq-list", "--socket", "/f.sock", "m.dlq"])
        #expect(EventctlCommand.socketAfterCommand(["-s"]) == ["-s"])
    }
}
