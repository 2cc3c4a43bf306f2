// Clients on an embedded cluster, and a sink that keeps what librdkafka reports.
import EventdKafka
import Foundation

/// Keeps the client-level errors a client reports.
final class ErrorSink: KafkaClientEvents, @unchecked Sendable {
    private let lock = NSLock()
    private var kept: [KafkaError] = []
    var errors: [KafkaError] { lock.withLock { kept } }
    func kafkaLog(level: Int32, facility: String, message: String) {}
    func kafkaError(_ error: KafkaError) { lock.withLock { kept.append(error) } }
    private var replacedCount = 0
    var replaced: Int { lock.withLock { replacedCount } }
    func kafkaProducerReplaced() { lock.withLock { replacedCount += 1 } }
}

extension EmbeddedCluster {
    /// A cluster with `topic` of one partition.
    static func with(topic: String, brokers: Int32 = 1) throws -> EmbeddedCluster {
        let cluster = try EmbeddedCluster(brokers: brokers)
        try cluster.createTopic(topic, partitions: 1)
        return cluster
    }

    func producer(_ sink: ErrorSink = ErrorSink(), _ extra: [String: String] = [:]) throws -> KafkaProducer {
        try KafkaProducer(properties: KafkaProperties(["bootstrap.servers": bootstrapServers, "linger.ms": "1"].merging(extra) { $1 }),
                          events: sink)
    }

    /// Every record of `topic`, oldest first.
    func records(_ topic: String) throws -> [CopiedRecord] {
        try KafkaTopicReader.readAll(topic: topic, properties: KafkaProperties(["bootstrap.servers": bootstrapServers]))
    }
}
