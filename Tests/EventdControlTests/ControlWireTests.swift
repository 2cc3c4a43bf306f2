// The wire form: one JSON line each way, snake-case keys, nulls where the protocol carries them.
import EventdControl
import Foundation
import Testing

@Suite struct ControlWireTests {
    func line(_ value: some Encodable) throws -> String {
        String(decoding: try ControlCoding.encodeLine(value), as: UTF8.self)
    }

    @Test func aRequestIsOneSortedJSONLine() throws {
        #expect(try line(ControlRequest(.pluginReload, [.plugin: "echo"])) == #"{"args":{"name":"echo"},"cmd":"plugin-reload","v":1}"# + "\n")
        let decoded = try JSONDecoder().decode(ControlRequest.self, from: Data(#"{"v":1,"cmd":"status","args":{}}"#.utf8))
        #expect(decoded == ControlRequest(.status))
    }

    @Test func aReportTravelsWithSnakeCaseKeys() throws {
        let report = PluginReloadReport(name: "echo", oldVersion: "1.0.0", newVersion: "1.0.1", stallMs: 0.25, reloadMs: 12, groups: ["echo-group"])
        #expect(try line(ControlResponse.report(report)) ==
            #"{"ok":true,"result":{"groups":["echo-group"],"name":"echo","new_version":"1.0.1","old_version":"1.0.0","reload_ms":12,"stall_ms":0.25},"v":1}"# + "\n")
    }

    @Test func aFailureCarriesItsCodeAndNoResult() throws {
        #expect(try line(ControlResponse.failure(.init(.refused, "no"))) == #"{"error":{"code":"refused","message":"no"},"ok":false,"v":1}"# + "\n")
        #expect(try line(ControlResponse.failure(.init(.badRequest, "x"))).contains(#""code":"bad-request""#))
    }

    @Test func statusCarriesDegradedAsNullWhileKafkaIsReachable() throws {
        var counters = CounterReport()
        counters.deadLettered = 2
        let group = StatusReport.Group(name: "g", topics: ["t"], pausedTopics: [], disabledPlugins: ["p"], counters: counters)
        var status = StatusReport(version: "0.1.0", pid: 7, uptimeSeconds: 3, brokers: "b:9092", plugins: 1, refusedPlugins: 0, reloads: 0,
                                  degraded: nil, groups: [group], counters: counters)
        let result = try #require(ControlResponse.report(status).result)
        #expect(result["degraded"] == .null)
        #expect(result["uptime_seconds"] == 3 && result["refused_plugins"] == 0)
        #expect(result["groups"]?.array?.first?["disabled_plugins"] == ["p"])
        #expect(result["counters"] == ["consumed": 0, "handled": 0, "skipped": 0, "retried": 0, "dead_lettered": 2, "redelivered": 0,
                                       "duplicates": 0, "parked": 0])
        status.degraded = .init(reason: "all brokers down", since: "2026-12-01T10:00:00Z", seconds: 12)
        let degraded = try #require(ControlResponse.report(status).result)
        #expect(degraded["degraded"] == ["reason": "all brokers down", "since": "2026-12-01T10:00:00Z", "seconds": 12])
        #expect(try degraded.decode(StatusReport.self) == status)
        #expect(try result.decode(StatusReport.self).degraded == nil)
    }

    @Test func aDeadLetterCarriesNullKeyAndIDAndLeavesOutAbsentHeaders() throws {
        var record = DeadLetterListReport.Record(partition: 1, offset: 42, key: nil, eventId: nil)
        record.outcome = "rejected"
        record.originalPartition = "0"
        let result = try #require(ControlResponse.report(DeadLetterListReport(topic: "m.dlq", records: [record])).result)
        let entry = try #require(result["records"]?.array?.first)
        #expect(entry == ["partition": 1, "offset": 42, "key": .null, "event_id": .null, "outcome": "rejected", "original_partition": "0"])
        #expect(try result.decode(DeadLetterListReport.self).records == [record])
    }

    @Test func statsCarryLagAndLatencyPerPlugin() throws {
        let plugin = StatsReport.Plugin(plugin: "echo", handled: 3, failed: 1, retries: 2, parked: 0, duplicates: 0, latencyAvgUs: 15, latencyMaxUs: 40)
        let group = StatsReport.Group(name: "g", counters: CounterReport(), rebalances: 1, plugins: [plugin], lag: [.init(topic: "t", partition: 0, lag: 5)])
        let result = try #require(ControlResponse.report(StatsReport(groups: [group], totals: CounterReport(), reloads: 2, longestReloadStallMs: 9)).result)
        #expect(result["longest_reload_stall_ms"] == 9 && result["reloads"] == 2)
        let g = try #require(result["groups"]?.array?.first)
        #expect(g["rebalances"] == 1 && g["lag"] == [["topic": "t", "partition": 0, "lag": 5]])
        #expect(g["plugins"]?.array?.first?["latency_avg_us"] == 15 && g["plugins"]?.array?.first?["latency_max_us"] == 40)
    }

    @Test func aReloadWithRefusalsIsNotOkAndStillCarriesItsReport() throws {
        var report = ReloadReport()
        report.loaded = [.init(name: "new", version: "1.0.0")]
        report.unloaded = ["gone"]
        report.restartRequired = ["kafka.brokers"]
        #expect(ControlResponse.report(report).ok)
        report.refused = [RefusedFile(path: "/p/a.so", reason: "bad abi"), RefusedFile(path: "/p/b.so", reason: "no symbol")]
        let answer = ControlResponse.report(report)
        #expect(!answer.ok)
        #expect(answer.error == ControlError(.failed, "2 plugin file(s) refused, the running versions keep serving: bad abi; no symbol"))
        let result = try #require(answer.result)
        #expect(result["restart_required"] == ["kafka.brokers"] && result["unchanged"] == 0 && result["unloaded"] == ["gone"])
        #expect(result["refused"]?.array?.first == ["path": "/p/a.so", "reason": "bad abi"])
        #expect(try result.decode(ReloadReport.self) == report)
    }

    @Test func aReplayThatFailedAgainIsNotOkAndSkipsAreNoFailure() throws {
        var report = ReplayReport(topic: "m.dlq")
        report.replayed = ["e1"]
        report.skipped = [.init(eventId: "e2", offset: 3, reason: "plugin 'x' is not loaded")]
        #expect(ControlResponse.report(report).ok)
        report.failed = [.init(eventId: "e3", offset: 4, reason: "handler failed again (rejected)")]
        let answer = ControlResponse.report(report)
        #expect(answer.error == ControlError(.failed, "1 event(s) failed again and were dead-lettered again"))
        #expect(answer.result?["failed"] == [["event_id": "e3", "offset": 4, "reason": "handler failed again (rejected)"]])
        #expect(answer.result?["replayed"] == ["e1"])
    }

    @Test func integralNumbersTravelAsIntegers() throws {
        #expect(try line(JSONValue.number(3)) == "3\n")
        #expect(try line(JSONValue.number(0.5)) == "0.5\n")
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"a":[true,null,"s",2]}"#.utf8))
        #expect(decoded == ["a": [true, .null, "s", 2]])
    }
}
