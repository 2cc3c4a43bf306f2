// The daemon in-process on a two-broker mock cluster with one broker taken
// down: an event whose follow-up is not acknowledged must not be committed.
@testable import EventdDaemon
import EventdConfig
import EventdKafka
import EventdKafkaTesting
import Foundation
import Logging
import Testing

@Suite(.serialized) struct FollowUpDeliveryTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static var fixtures: String { ProcessInfo.processInfo.environment["EVENTD_FIXTURE_STAGE"] ?? "\(repo)/.build-plugins/fixtures" }

    final class Sink: KafkaClientEvents, @unchecked Sendable {
        func kafkaLog(level: Int32, facility: String, message: String) {}
        func kafkaError(_ error: KafkaError) {}
    }

    /// A daemon on a two-broker embedded cluster with the counter fixture (its follow-ups go to `counter-events`).
    func startDaemon(_ tag: String, configure: (inout DaemonConfiguration) -> Void = { _ in }) throws -> Daemon {
        let dir = NSTemporaryDirectory() + "eventd-\(tag)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: "\(dir)/plugins", withIntermediateDirectories: true)
        let fixture = "\(Self.fixtures)/libfixture-counter.so"
        guard FileManager.default.fileExists(atPath: fixture) else { throw StageMissing(path: fixture) }
        try FileManager.default.copyItem(atPath: fixture, toPath: "\(dir)/plugins/libfixture-counter.so")

        var config = try ConfigurationLoader.load(path: "\(Self.repo)/etc/devtrip-eventd/eventd.toml", overrides: {
            var o = ConfigurationOverrides()
            o.brokers = "embedded"
            o.pluginDir = "\(dir)/plugins"
            o.stateDir = "\(dir)/state"
            o.runtimeDir = "\(dir)/run"
            o.controlSocket = "\(dir)/run/control.sock"
            return o
        }())
        config.embedded.brokers = 2
        config.embedded.partitions = 2
        config.plugins = [:]
        config.producerProperties["linger.ms"] = "1"
        configure(&config)

        // No systemd here: an empty environment keeps this daemon from notifying the
        // socket SystemdNotifierTests binds in the same process.
        let daemon = Daemon(configuration: config, notifier: SystemdNotifier(environment: [:]), logger: Logger(label: tag))
        try daemon.start()
        return daemon
    }

    /// Produces `mission.started` events with these ids, keys spread over three.
    func produce(_ ids: Range<Int>, to daemon: Daemon) throws {
        let input = try KafkaProducer(properties: KafkaProperties(["bootstrap.servers": daemon.bootstrapServers, "linger.ms": "1"]), events: Sink())
        let tracker = DeliveryTracker()
        for i in ids {
            try input.produce(topic: "mission-events", key: Array("k\(i % 3)".utf8),
                              value: Array(#"{"eventId":"f-\#(i)","eventType":"mission.started","occurredAt":"2026-11-24T10:00:00Z"}"#.utf8),
                              headers: [], tracker: tracker)
        }
        #expect(tracker.wait() == nil)
    }

    /// Reads the offsets `counter-group` committed on `mission-events`, summed.
    final class CommitProbe {
        let consumer: KafkaConsumer
        init(_ daemon: Daemon) throws {
            consumer = try KafkaConsumer(properties: KafkaProperties([
                "bootstrap.servers": daemon.bootstrapServers, "group.id": "counter-group", "enable.auto.commit": "false",
            ]), events: Sink())
        }
        func total() throws -> Int64 {
            let partitions = (0..<2).map { TopicPartition("mission-events", Int32($0)) }
            return try consumer.committed(partitions).values.map { max($0, 0) }.reduce(0, +)
        }
        deinit { consumer.close() }
    }

    @Test func anEventIsCommittedOnlyAfterItsFollowUpIsAcknowledged() throws {
        // Follow-ups time out quickly while their leader is down.
        let daemon = try startDaemon("followup") { $0.producerProperties["message.timeout.ms"] = "2000" }
        defer { daemon.stop() }
        let cluster = try #require(daemon.cluster)
        // Inputs and the group live on broker 1; the follow-up topic on broker 2.
        for p: Int32 in 0..<2 {
            cluster.setLeader(topic: "mission-events", partition: p, broker: 1)
            cluster.setLeader(topic: "counter-events", partition: p, broker: 2)
        }
        cluster.setGroupCoordinator("counter-group", broker: 1)
        cluster.setBroker(2, up: false)
        try produce(0..<10, to: daemon)
        let committed = try CommitProbe(daemon)

        // The handler runs, but its follow-up cannot be acknowledged: no offset may be committed.
        // Generous: on a loaded CI machine the group alone has taken 17 s to form.
        try waitUntil("all ten events handled once", timeout: 120) { daemon.counters.handled >= 10 }
        Thread.sleep(forTimeInterval: 5)
        #expect(try committed.total() == 0)
        #expect(daemon.counters.redelivered > 0, "unacknowledged follow-ups rewind the partition")

        cluster.setBroker(2, up: true)
        try waitUntil("all ten offsets committed", timeout: 120) { try committed.total() == 10 }
        let handledBeforeCheck = daemon.counters.handled
        #expect(handledBeforeCheck >= 20, "every event was handled again after its failed attempt")
    }

    /// librdkafka before 2.3.0 can raise a fatal error on an idempotent producer after a produce request that
    /// timed out (#4438); from then on that client refuses every record. The daemon must go on.
    @Test func aFatalProducerErrorMidStreamLosesNoFollowUp() throws {
        let daemon = try startDaemon("fatal")
        defer { daemon.stop() }
        let producer = try #require(daemon.producer)
        let committed = try CommitProbe(daemon)
        try produce(0..<10, to: daemon)
        try waitUntil("the first ten offsets committed", timeout: 120) { try committed.total() == 10 }

        producer.raiseFatalError(KafkaError.Code(rawValue: 45), reason: "raised by the test")   // OUT_OF_ORDER_SEQUENCE_NUMBER
        try produce(10..<20, to: daemon)
        try waitUntil("all twenty offsets committed", timeout: 120) { try committed.total() == 20 }
        #expect(producer.replacements == 1)
        let followUps = Set(try KafkaTopicReader.readAll(topic: "counter-events", properties: KafkaProperties(["bootstrap.servers": daemon.bootstrapServers])).map { String(decoding: $0.valueBytes ?? [], as: UTF8.self) })
        #expect(followUps == Set((0..<20).map { "f-\($0)" }), "every event's follow-up was delivered")
    }

    func waitUntil(_ what: String, timeout: TimeInterval, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        Issue.record("\(what): not within \(timeout) s")
    }
}

struct StageMissing: Error, CustomStringConvertible {
    let path: String
    var description: String { "\(path) is missing: run `make fixtures` first (make test does)" }
}
