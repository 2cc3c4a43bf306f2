// Consumer lag as the daemon reports it (stats, the consumer_lag gauge), on an
// in-process mock cluster.
import EventdKafka
import Foundation
import Testing

@Suite struct KafkaConsumerLagTests {
    final class Sink: KafkaClientEvents, @unchecked Sendable {
        func kafkaLog(level: Int32, facility: String, message: String) {}
        func kafkaError(_ error: KafkaError) {}
    }

    @Test func aPartitionNotConsumedSinceItsAssignmentLagsFromItsCommittedOffset() throws {
        let cluster = try EmbeddedCluster(brokers: 1)
        try cluster.createTopic("lag-topic", partitions: 1)
        let producer = try KafkaProducer(properties: KafkaProperties(["bootstrap.servers": cluster.bootstrapServers, "linger.ms": "1"]),
                                         events: Sink())
        let tracker = DeliveryTracker()
        for i in 0..<10 {
            try producer.produce(topic: "lag-topic", key: nil, value: Array("v\(i)".utf8), headers: [], tracker: tracker)
        }
        #expect(tracker.wait() == nil)
        let tp = TopicPartition("lag-topic", 0)
        let properties = KafkaProperties(["bootstrap.servers": cluster.bootstrapServers, "group.id": "lag-group",
                                          "enable.auto.commit": "false", "fetch.wait.max.ms": "10"])

        // A first member reads all 10 and commits.
        let first = try KafkaConsumer(properties: properties, events: Sink())
        try first.assign([(tp, 0)])
        let batch = first.makeBatch(capacity: 100)
        var read = 0
        let deadline = Date().addingTimeInterval(20)
        while read < 10 && Date() < deadline {
            first.consume(into: batch, timeoutMs: 200)
            read += (0..<batch.count).filter { batch[$0].errorCode == 0 }.count
        }
        batch.release()
        #expect(read == 10)
        try first.store([(tp, 10)])
        try first.commitSync()
        first.close()

        // The next member starts at the committed offset and finds nothing new: no position of its own yet.
        let second = try KafkaConsumer(properties: properties, events: Sink())
        defer { second.close() }
        try second.assign([(tp, -1000)])   // RD_KAFKA_OFFSET_STORED
        let empty = second.makeBatch(capacity: 100)
        defer { empty.release() }
        var lag: [(TopicPartition, Int64)] = []
        // Wait for a fetch response to fill the cached high watermark.
        let until = Date().addingTimeInterval(20)
        while lag.isEmpty && Date() < until {
            second.consume(into: empty, timeoutMs: 200)
            #expect((0..<empty.count).allSatisfy { empty[$0].errorCode != 0 }, "nothing after the committed offset")
            lag = second.lag()
        }
        #expect(lag.map(\.0) == [tp])
        #expect(lag.first?.1 == 0, "all 10 records are committed: lag 0, not the partition's size")
    }
}
