// The daemon in-process on a two-broker mock cluster with one broker taken
// down: an event whose follow-up is not acknowledged must not be committed.
@testable import EventdDaemon
import EventdConfig
import EventdKafka
import EventdKafkaTesting
import Foundation
import Logging
import Testing

@Suite struct FollowUpDeliveryTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static var fixtures: String { ProcessInfo.processInfo.environment["EVENTD_FIXTURE_STAGE"] ?? "\(repo)/.build-plugins/fixtures" }

    final class Sink: KafkaClientEvents, @unchecked Sendable {
        func kafkaLog(level: Int32, facility: String, message: String) {}
        func kafkaError(_ error: KafkaError) {}
    }

    @Test func anEventIsCommittedOnlyAfterItsFollowUpIsAcknowledged() throws {
        let dir = NSTemporaryDirectory() + "eventd-followup-\(UUID().uuidString.prefix(8))"
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
        // Follow-ups time out quickly while their leader is down.
        config.producerProperties["message.timeout.ms"] = "2000"
        config.producerProperties["linger.ms"] = "1"

        // No systemd here: an empty environment keeps this daemon from notifying the
        // socket SystemdNotifierTests binds in the same process.
        let daemon = Daemon(configuration: config, notifier: SystemdNotifier(environment: [:]), logger: Logger(label: "followup-test"))
        try daemon.start()
        defer { daemon.stop() }
        let cluster = try #require(daemon.cluster)
        // Inputs and the group live on broker 1; the follow-up topic on broker 2.
        for p: Int32 in 0..<2 {
            cluster.setLeader(topic: "mission-events", partition: p, broker: 1)
            cluster.setLeader(topic: "counter-events", partition: p, broker: 2)
        }
        cluster.setGroupCoordinator("counter-group", broker: 1)
        cluster.setBroker(2, up: false)

        let input = try KafkaProducer(properties: KafkaProperties(["bootstrap.servers": daemon.bootstrapServers, "linger.ms": "1"]), events: Sink())
        let tracker = DeliveryTracker()
        for i in 0..<10 {
            try input.produce(topic: "mission-events", key: Array("k\(i % 3)".utf8),
                              value: Array(#"{"eventId":"f-\#(i)","eventType":"mission.started","occurredAt":"2026-11-24T10:00:00Z"}"#.utf8),
                              headers: [], tracker: tracker)
        }
        #expect(tracker.wait() == nil)

        let probe = try KafkaConsumer(properties: KafkaProperties([
            "bootstrap.servers": daemon.bootstrapServers, "group.id": "counter-group", "enable.auto.commit": "false",
        ]), events: Sink())
        let partitions = (0..<2).map { TopicPartition("mission-events", Int32($0)) }
        func committedTotal() throws -> Int64 { try probe.committed(partitions).values.map { max($0, 0) }.reduce(0, +) }

        // The handler runs, but its follow-up cannot be acknowledged: no offset may be committed.
        // Generous: on a loaded CI machine the group alone has taken 17 s to form.
        try waitUntil("all ten events handled once", timeout: 120) { daemon.counters.handled >= 10 }
        Thread.sleep(forTimeInterval: 5)
        #expect(try committedTotal() == 0)
        #expect(daemon.counters.redelivered > 0, "unacknowledged follow-ups rewind the partition")

        cluster.setBroker(2, up: true)
        try waitUntil("all ten offsets committed", timeout: 120) { try committedTotal() == 10 }
        let handledBeforeCheck = daemon.counters.handled
        #expect(handledBeforeCheck >= 20, "every event was handled again after its failed attempt")
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
