// Topic creation through the Kafka admin API, for deployments that let the
// daemon create its topics (as Kafka Connect does for its internal topics).
import CRDKafka

extension KafkaProducer {
    /// Creates the topics that do not exist yet; existing ones are left alone.
    /// - Returns: the names that were created.
    /// - Throws: `KafkaError` for the first topic the broker refuses.
    @discardableResult
    public func createTopics(_ names: [String], partitions: Int32, replicationFactor: Int32,
                             timeoutMs: Int32 = 15_000) throws(KafkaError) -> [String] {
        guard !names.isEmpty else { return [] }
        var errstr = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }
        for name in names {
            guard let topic = rd_kafka_NewTopic_new(name, partitions, replicationFactor, &errstr, errstr.count) else {
                throw KafkaError(invalid: "topic \(name): \(RDKafkaText.read(errstr))")
            }
            newTopics.append(topic)
        }
        let answer = try withHandle { handle throws(KafkaError) -> [String] in
            let queue = rd_kafka_queue_new(handle)
            defer { rd_kafka_queue_destroy(queue) }
            let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
            defer { rd_kafka_AdminOptions_destroy(options) }
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMs, &errstr, errstr.count)
            newTopics.withUnsafeMutableBufferPointer { rd_kafka_CreateTopics(handle, $0.baseAddress, $0.count, options, queue) }
            guard let event = rd_kafka_queue_poll(queue, timeoutMs + 5_000) else {
                throw KafkaError(code: .timedOut, message: "create topics: no answer from the broker", isRetriable: true)
            }
            defer { rd_kafka_event_destroy(event) }
            let err = rd_kafka_event_error(event)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(err, context: "create topics: \(String(cString: rd_kafka_event_error_string(event)))")
            }
            var count = 0
            let result = rd_kafka_event_CreateTopics_result(event)
            guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return [] }
            var created: [String] = []
            for i in 0..<count {
                let topicResult = results[i]
                let code = rd_kafka_topic_result_error(topicResult)
                let name = String(cString: rd_kafka_topic_result_name(topicResult))
                switch code {
                case RD_KAFKA_RESP_ERR_NO_ERROR: created.append(name)
                case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS: continue
                default: throw KafkaError(code, context: "create topic \(name)")
                }
            }
            return created
        }
        guard let answer else { throw Self.closedError("create topics") }
        return answer
    }
}
