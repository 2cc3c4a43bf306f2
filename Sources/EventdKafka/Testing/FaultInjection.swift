// Fault injection on the embedded mock cluster and on clients, for tests only:
// the daemon executables do not link this module.
import CRDKafka
import EventdKafka

extension EmbeddedCluster {
    /// Takes a broker down (connections closed, refused) or brings it back.
    public func setBroker(_ id: Int32, up: Bool) {
        _ = up ? rd_kafka_mock_broker_set_up(mockCluster, id) : rd_kafka_mock_broker_set_down(mockCluster, id)
    }

    /// Moves the leadership of a partition to another broker.
    public func setLeader(topic: String, partition: Int32, broker: Int32) {
        _ = rd_kafka_mock_partition_set_leader(mockCluster, topic, partition, broker)
    }

    /// Makes `broker` the coordinator of a consumer group.
    public func setGroupCoordinator(_ group: String, broker: Int32) {
        _ = rd_kafka_mock_coordinator_set(mockCluster, "group", group, broker)
    }

    /// Makes the next `count` requests of an API (by Kafka API key: 0 Produce,
    /// 1 Fetch, 3 Metadata...) fail with `error`.
    public func injectErrors(apiKey: Int16, error: KafkaError.Code, count: Int) {
        let codes = [rd_kafka_resp_err_t](repeating: rd_kafka_resp_err_t(rawValue: error.rawValue), count: count)
        codes.withUnsafeBufferPointer { rd_kafka_mock_push_request_errors_array(mockCluster, apiKey, count, $0.baseAddress) }
    }
}

extension KafkaProducer {
    /// Raises a fatal error on this producer as if the broker had caused one
    /// (`rd_kafka_test_fatal_error`): the current client refuses every later produce as fatal,
    /// until the producer has replaced it.
    public func raiseFatalError(_ code: KafkaError.Code, reason: String) {
        _ = withHandle { handle in rd_kafka_test_fatal_error(handle, rd_kafka_resp_err_t(rawValue: code.rawValue), reason) }
    }
}
