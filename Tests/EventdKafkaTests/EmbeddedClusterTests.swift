// The in-process mock cluster as `make run` uses it: topics, produce, consume.
import EventdKafka
import Foundation
import Testing

@Suite struct EmbeddedClusterTests {
    @Test func recordsProducedAreConsumedInOrderWithKeysAndValues() throws {
        let cluster = try EmbeddedCluster(brokers: 3)
        #expect(cluster.bootstrapServers.split(separator: ",").count == 3)
        try cluster.createTopic("events", partitions: 2)
        try cluster.createTopic("events", partitions: 2)   // exists: not an error
        let producer = try cluster.producer()
        #expect(producer.probeBrokers(timeoutMs: 5000) == nil)
        let tracker = DeliveryTracker()
        for i in 0..<20 {
            try producer.produce(topic: "events", key: Array("k\(i % 2)".utf8), value: Array("v\(i)".utf8), headers: [], tracker: tracker)
        }
        #expect(tracker.wait() == nil)

        let records = try cluster.records("events")
        #expect(records.count == 20)
        for key in ["k0", "k1"] {
            let ofKey = records.filter { $0.keyBytes == Array(key.utf8) }
            #expect(Set(ofKey.map(\.partition)).count == 1, "one key stays on one partition")
            let values = ofKey.sorted { $0.offset < $1.offset }.map { String(decoding: $0.valueBytes ?? [], as: UTF8.self) }
            let expected = (0..<20).filter { "k\($0 % 2)" == key }.map { "v\($0)" }
            #expect(values == expected, "in the order produced")
        }
    }

    @Test func aClosedProducerRefusesEverythingAndKeepsNoConnection() throws {
        let cluster = try EmbeddedCluster.with(topic: "closing")
        let sink = ErrorSink()
        let producer = try cluster.producer(sink)
        #expect(producer.probeBrokers(timeoutMs: 5000) == nil)
        producer.close()
        // The cluster going away after the close is not heard by the producer: its client is gone.
        cluster.setBroker(1, up: false)
        Thread.sleep(forTimeInterval: 1)
        #expect(sink.errors.isEmpty, "\(sink.errors)")
        #expect(producer.flush(timeoutMs: 100) == 0)
        #expect(producer.probeBrokers(timeoutMs: 100)?.message.contains("closed") == true)
        let tracker = DeliveryTracker()
        #expect {
            try producer.produce(topic: "closing", key: nil, value: Array("v".utf8), headers: [], tracker: tracker)
        } throws: { ($0 as? KafkaError)?.message.contains("the producer is closed") == true }
        let (finished, failure) = tracker.wait(timeout: 1)
        #expect(finished && failure == nil, "a refused record leaves its tracker waiting for nothing")
        producer.close()   // twice: nothing more happens
    }

    @Test func aTopicOfTheClusterHasItsPartitionCount() throws {
        let cluster = try EmbeddedCluster.with(topic: "single")
        try cluster.createTopic("six", partitions: 6)
        let consumer = try KafkaConsumer(properties: KafkaProperties(["bootstrap.servers": cluster.bootstrapServers, "group.id": "meta"]),
                                         events: nil)
        defer { consumer.close() }
        #expect(try consumer.partitionCount("six") == 6)
        #expect(try consumer.partitionCount("single") == 1)
    }
}
