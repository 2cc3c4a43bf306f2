// The real daemon binary with the real echo plugins, fed and read by kcat.
import Foundation
import Testing

@Suite(.serialized) struct EchoEndToEndTests {
    @Test func thousandEventsThroughTheEmbeddedClusterExactlyOnceInKeyOrder() throws {
        let (daemon, _, _) = try DaemonUnderTest.embedded("embedded", plugins: ["echo", "echo-c"])
        defer { daemon.child.stop() }

        // Every CloudEvents record is a kcat run of its own (its headers differ): one in ten keeps the
        // run short on a loaded machine.
        let events = EventStream.make(count: 1000, keys: 24, ceEvery: 10, prefix: "emb")
        let completed = events.filter(\.cloudEvent)
        try EventStream.produce(events[...], brokers: daemon.bootstrap, topic: "mission-events")

        var echo = EchoReport([], plugin: "echo")
        var echoC = EchoReport([], plugin: "echo-c")
        try daemon.waitUntil("1000 echoed events", timeout: 180, poll: 1, report: {
            "echo \(echo.total), echo-c \(echoC.total), missing \(echo.missing(from: events).prefix(5))"
        }) {
            let records = try Kcat.consumeAll(daemon.bootstrap, topic: "echo-events")
            echo = EchoReport(records, plugin: "echo")
            echoC = EchoReport(records, plugin: "echo-c")
            return echo.total >= 1000 && echoC.total >= completed.count
        }
        #expect(echo.total == 1000)
        #expect(echo.missing(from: events).isEmpty)
        #expect(echo.duplicates.isEmpty)
        #expect(echo.keysOutOfOrder.isEmpty)
        #expect(echo.seqsByKey.count == 24)
        // echo-c claims only mission.completed: the CloudEvents records.
        #expect(echoC.total == completed.count)
        #expect(echoC.missing(from: completed).isEmpty)
        #expect(daemon.child.stop() == 0)
        #expect(daemon.child.log.contains("consumed 2000"), "each of the two groups read all 1000 records")
    }

    @Test func badRecordsAreDeadLetteredWhileTheStreamFlowsOn() throws {
        let (daemon, _, _) = try DaemonUnderTest.embedded("dlq", plugins: ["echo"], replacing: [("max_message_bytes = 1048576", "max_message_bytes = 2000")])
        defer { daemon.child.stop() }
        let b = daemon.bootstrap
        let good = EventStream.make(count: 6, keys: 1, ceEvery: 1000, prefix: "ok")
        try EventStream.produce(good[0..<2], brokers: b, topic: "mission-events")
        try Kcat.produce(b, topic: "mission-events", lines: [("user-0", "this is {not json")])
        try Kcat.produce(b, topic: "mission-events", lines: [("user-0", #"{"eventId":"u-1","eventType":"no.such.event","occurredAt":"2026-11-24T10:00:00Z"}"#)])
        try Kcat.produce(b, topic: "mission-events", lines: [("user-0", #"{"eventId":"big","eventType":"mission.started","occurredAt":"2026-11-24T10:00:00Z","pad":"\#(String(repeating: "x", count: 3000))"}"#)])
        try Kcat.produce(b, topic: "mission-events", lines: [("user-0", #"{"eventId":"n-1","occurredAt":"2026-11-24T10:00:00Z"}"#)])
        try EventStream.produce(good[2...], brokers: b, topic: "mission-events")

        var dead: [ConsumedRecord] = []
        try Harness.waitUntil("4 dead letters and 6 echoes", timeout: 60, poll: 1) {
            dead = try Kcat.consumeAll(b, topic: "mission-events.dlq")
            return try dead.count >= 4 && EchoReport(Kcat.consumeAll(b, topic: "echo-events"), plugin: "echo").total >= 6
        }
        let echoed = EchoReport(try Kcat.consumeAll(b, topic: "echo-events"), plugin: "echo")
        #expect(echoed.total == 6 && echoed.keysOutOfOrder.isEmpty)
        #expect(dead.count == 4)
        let outcomes = dead.map { $0.headers["x-dlq-outcome"] ?? "" }
        #expect(outcomes == ["malformed", "unknown-event", "oversized", "missing-field"])
        #expect(dead[0].value == "this is {not json", "the dead letter keeps the value byte for byte")
        #expect(dead.allSatisfy { $0.key == "user-0" && $0.headers["x-dlq-original-topic"] == "mission-events" && $0.headers["x-dlq-consumer-group"] == "echo-group" })
        #expect(dead[1].headers["x-dlq-error"]?.contains("no.such.event") == true)
        #expect(dead[2].headers["x-dlq-error"]?.contains("max_message_bytes") == true)
        #expect(dead[3].headers["x-dlq-error"]?.hasPrefix("no ce_type header") == true, "the header value is cut at its first comma by the kcat format")
        let offsets = dead.compactMap { $0.headers["x-dlq-original-offset"].flatMap(Int.init) }
        #expect(offsets == [2, 3, 4, 5])
    }

    @Test func sigtermMidStreamThenRestartLosesNothingOnNoidaDB() throws {
        let dir = try Harness.temporaryDirectory("noida")
        let broker = try NoidaBroker(dir: dir)
        let config = try Harness.configuration(in: dir, replacing: [
            ("create_topics = false", "create_topics = true"),
            ("create_replication_factor = 3", "create_replication_factor = 1"),
        ])
        let plugins = try Harness.pluginDirectory(in: dir, plugins: ["echo", "echo-c"])
        let events = EventStream.make(count: 1000, keys: 24, ceEvery: 5, prefix: "noida")

        let first = try DaemonUnderTest(config: config, brokers: broker.bootstrap, pluginDir: plugins, dir: dir, run: 1)
        try first.waitForAssignment(groups: 2)
        try EventStream.produce(events[0..<500], brokers: broker.bootstrap, topic: "mission-events")
        // Stop mid-stream: some of the first 500 are handled, some not yet.
        try Harness.waitUntil("the first echoes", timeout: 60, poll: 0.2) {
            EchoReport(try Kcat.consumeAll(broker.bootstrap, topic: "echo-events"), plugin: "echo").total > 0
        }
        #expect(first.child.stop(SIGTERM) == 0, "SIGTERM drains and exits 0")
        let before = EchoReport(try Kcat.consumeAll(broker.bootstrap, topic: "echo-events"), plugin: "echo").total
        try EventStream.produce(events[500...], brokers: broker.bootstrap, topic: "mission-events")

        let second = try DaemonUnderTest(config: config, brokers: broker.bootstrap, pluginDir: plugins, dir: dir, run: 2)
        defer { second.child.stop() }
        var echo = EchoReport([], plugin: "echo")
        try second.waitUntil("1000 echoed events after the restart", timeout: 120, poll: 1, report: { "echo \(echo.total)" }) {
            echo = EchoReport(try Kcat.consumeAll(broker.bootstrap, topic: "echo-events"), plugin: "echo")
            return echo.total >= 1000
        }
        Thread.sleep(forTimeInterval: 2) // a duplicate would show up now
        echo = EchoReport(try Kcat.consumeAll(broker.bootstrap, topic: "echo-events"), plugin: "echo")
        let echoC = EchoReport(try Kcat.consumeAll(broker.bootstrap, topic: "echo-events"), plugin: "echo-c")
        #expect(before < 1000, "the first run was stopped mid-stream (\(before) echoed)")
        #expect(echo.total == 1000)
        #expect(echo.missing(from: events).isEmpty)
        #expect(echo.duplicates.isEmpty, "graceful stop commits exactly what was handled")
        #expect(echo.keysOutOfOrder.isEmpty)
        #expect(echoC.total == 200 && echoC.duplicates.isEmpty)
        #expect(second.child.stop() == 0)
    }
}
