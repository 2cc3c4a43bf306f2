// librdkafka's mock cluster, run in-process: a real Kafka protocol endpoint
// on loopback with no outside services.
import CRDKafka
import Foundation

public final class EmbeddedCluster: @unchecked Sendable {
    private let owner: OpaquePointer
    private let cluster: OpaquePointer
    /// `host:port,...` for clients (and `kcat`) to connect to.
    public let bootstrapServers: String

    /// Starts a mock cluster with `brokers` brokers.
    /// - Throws: `KafkaError` when librdkafka cannot start it.
    public init(brokers: Int32 = 1) throws(KafkaError) {
        // The mock cluster needs a client handle to live in; a producer with no work does.
        let conf = rd_kafka_conf_new()!
        rd_kafka_conf_set_log_cb(conf) { _, _, _, _ in }
        var errstr = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count) else {
            throw KafkaError(code: -1, message: "mock cluster owner: \(String(cString: errstr))")
        }
        guard let mc = rd_kafka_mock_cluster_new(rk, brokers) else {
            rd_kafka_destroy(rk)
            throw KafkaError(code: -1, message: "cannot start the mock cluster")
        }
        owner = rk
        cluster = mc
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(mc))
    }

    /// Creates a topic (a no-op error if it exists).
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32 = 1) throws(KafkaError) {
        let err = rd_kafka_mock_topic_create(cluster, name, partitions, replicationFactor)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
            throw KafkaError(err, context: "create topic \(name)")
        }
    }

    /// Takes a broker down (connections closed, refused) or brings it back.
    public func setBroker(_ id: Int32, up: Bool) {
        _ = up ? rd_kafka_mock_broker_set_up(cluster, id) : rd_kafka_mock_broker_set_down(cluster, id)
    }

    /// Moves the leadership of a partition to another broker.
    public func setLeader(topic: String, partition: Int32, broker: Int32) {
        _ = rd_kafka_mock_partition_set_leader(cluster, topic, partition, broker)
    }

    /// Makes `broker` the coordinator of a consumer group.
    public func setGroupCoordinator(_ group: String, broker: Int32) {
        _ = rd_kafka_mock_coordinator_set(cluster, "group", group, broker)
    }

    /// Makes the next `count` requests of an API (by Kafka API key) fail with `error`.
    public func injectErrors(apiKey: Int16, error: Int32, count: Int) {
        let codes = [rd_kafka_resp_err_t](repeating: rd_kafka_resp_err_t(rawValue: error), count: count)
        codes.withUnsafeBufferPointer { rd_kafka_mock_push_request_errors_array(cluster, apiKey, count, $0.baseAddress) }
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(owner)
    }
}
