// The daemon started while its PostgreSQL server is down (systemd starting eventd before
// postgresql.service, a failover at boot): the plugin loads, the daemon reports degraded
// (status, STATUS=, metric), events wait in Kafka with nothing dead-lettered, and once
// the server answers the schema is migrated and every event is handled exactly once.
// The admin tools say clearly that the database is down.
import Foundation
import Testing

@Suite(.serialized) struct PostgresStartEndToEndTests {
    @Test func aDaemonStartedBeforeItsDatabaseLoadsItsPluginsWaitsDegradedAndCatchesUp() throws {
        let dir = try Harness.temporaryDirectory("pgstart")
        let notify = try NotifySocket(dir: dir)
        // The server is set up (initdb) and stopped before the daemon starts.
        let database = try PostgresServer(dir: "\(dir)/pg")
        try database.stop()
        let broker = try StandaloneMock(dir: dir, topics: DeliveryEndToEndTests.topics)
        let config = try Harness.configuration(in: dir, replacing: database.storeReplacement + [(#"listen = """#, #"listen = "127.0.0.1:0""#)],
                                               pluginFiles: ["tx-counter": "[plugin]\nenabled = true\n"])
        let plugins = try Harness.pluginDirectory(in: dir, plugins: [], fixtures: ["tx-counter"])

        // The admin tools while the database is down: a clear message, no crash, no refusal of the start.
        let check = try Captured(Harness.daemonBinary, ["--check-config", "--config", config, "--plugin-dir", plugins])
        let checkErr = String(decoding: check.stderr, as: UTF8.self)
        #expect(check.status == 0, "ExecStartPre must not keep the daemon from starting: \(checkErr)")
        #expect(checkErr.contains("state store is unreachable now") && checkErr.contains("cannot connect"), "\(checkErr)")
        let get = try Captured(Eventctl.binary, ["state", "get", "tx-counter", "total", "--config", config])
        let getErr = String(decoding: get.stderr, as: UTF8.self)
        #expect(get.status == 1, "exit 1, not a crash: \(get.status) \(getErr)")
        #expect(getErr.hasPrefix("devtrip-eventctl: cannot connect to ") && !getErr.contains("Fatal error"), "\(getErr)")

        let daemon = try DaemonUnderTest(config: config, brokers: broker.bootstrap, pluginDir: plugins, dir: dir,
                                         environment: ["NOTIFY_SOCKET": notify.path])
        defer { daemon.child.stop(SIGKILL) }
        let probe = try StoreHealthProbe(daemon, notify: notify)
        #expect(daemon.child.log.contains("plugin loaded") && !daemon.child.log.contains("plugin refused"), "the plugin loads")
        try daemon.waitForAssignment(groups: 1)
        // Degraded from the start (the periodic STATUS= carries it: the store was found down before READY=1).
        let reported = try probe.waitDegraded(timeout: 20, notifyTimeout: 30)
        #expect((reported["reason"] as? String)?.contains("store unreachable (eventd_tx_counter)") == true, "\(reported)")

        let count = 400
        let lines = (0..<count).map { i in
            ("user-\(i % 40)", #"{"eventId":"pgs-\#(i)","eventType":"mission.started","occurredAt":"2026-11-24T10:00:00Z"}"#)
        }
        try Kcat.produce(broker.bootstrap, topic: "mission-events", lines: lines)
        // Longer than every in-memory retry of the shipped policy: the events wait, none fails.
        Thread.sleep(forTimeInterval: 8)
        #expect(try probe.degraded() != nil, "still degraded while the database is down")
        #expect(try GroupSnapshot(daemon).handled == 0)
        #expect(try Kcat.consumeAll(broker.bootstrap, topic: "mission-events.dlq").isEmpty, "nothing dead-lettered while waiting")

        try database.start()
        try probe.waitCleared(notifyTimeout: 15)
        try database.expectTxCounterHandledOnce(count: count, idPrefix: "pgs-", daemon: daemon, broker: broker.bootstrap)
        #expect(try database.query("SELECT max(version) FROM eventd_tx_counter.schema_version") == [[Self.schemaVersion]],
                "migrated once the server answered")
        // With the database up, the admin read works.
        let total = try Captured(Eventctl.binary, ["state", "get", "tx-counter", "total", "--config", config])
        #expect(total.status == 0 && String(decoding: total.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == String(count))
    }

    /// This daemon's schema version (`PostgresSchema.migrations.count`: 3 since lz4 for state documents).
    static let schemaVersion = "3"

    @Test func aSchemaNewerThanTheDaemonStillRefusesThePluginWhenTheServerAnswers() throws {
        let dir = try Harness.temporaryDirectory("pgnewer")
        let broker = try StandaloneMock(dir: dir, topics: DeliveryEndToEndTests.topics)
        let database = try PostgresServer(dir: "\(dir)/pg")
        // A later daemon migrated this schema further.
        _ = try database.query("CREATE SCHEMA eventd_tx_counter; CREATE TABLE eventd_tx_counter.schema_version (version bigint PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now()); INSERT INTO eventd_tx_counter.schema_version(version) VALUES (99)")
        let config = try Harness.configuration(in: dir, replacing: database.storeReplacement,
                                               pluginFiles: ["tx-counter": "[plugin]\nenabled = true\n"])
        let plugins = try Harness.pluginDirectory(in: dir, plugins: [], fixtures: ["tx-counter"])
        let daemon = try DaemonUnderTest(config: config, brokers: broker.bootstrap, pluginDir: plugins, dir: dir)
        defer { daemon.child.stop(SIGKILL) }
        #expect(daemon.child.log.contains("plugin refused"), "the plugin is refused")
        #expect(daemon.child.log.contains("newer than this daemon's \(Self.schemaVersion): upgrade the daemon"))
        #expect(!daemon.child.log.contains("plugin loaded"))
    }
}
