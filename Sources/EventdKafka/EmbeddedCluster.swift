// librdkafka's mock cluster, run in-process: a real Kafka protocol endpoint
// on loopback with no outside services. Fault injection (brokers down,
// leaders moved, failing requests) is for tests: it lives in EventdKafkaTesting.
import CRDKafka

public final class EmbeddedCluster: @unchecked Sendable {
    private let owner: OpaquePointer
    /// The `rd_kafka_mock_cluster_t`, for the fault injection in EventdKafkaTesting.
    package let mockCluster: OpaquePointer
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
            throw KafkaError(invalid: "mock cluster owner: \(RDKafkaText.read(errstr))")
        }
        guard let mc = rd_kafka_mock_cluster_new(rk, brokers) else {
            rd_kafka_destroy(rk)
            throw KafkaError(invalid: "cannot start the mock cluster")
        }
        owner = rk
        mockCluster = mc
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(mc))
    }

    /// Creates a topic (a no-op error if it exists).
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32 = 1) throws(KafkaError) {
        let err = rd_kafka_mock_topic_create(mockCluster, name, partitions, replicationFactor)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
            throw KafkaError(err, context: "create topic \(name)")
        }
    }

    deinit {
        rd_kafka_mock_cluster_destroy(mockCluster)
        rd_kafka_destroy(owner)
    }
}
