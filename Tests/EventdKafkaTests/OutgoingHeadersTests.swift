// Headers produced from Swift values and from borrowed C strings arrive as they were sent.
@testable import EventdKafka
import Foundation
import Testing

@Suite struct OutgoingHeadersTests {
    static let sent = [
        OutgoingHeader("ce_type", "mission.started"),
        OutgoingHeader("empty", [UInt8]()),
        OutgoingHeader("null", nil),
        OutgoingHeader("ce_type", "twice"),
    ]

    /// Headers lent as C strings and raw bytes, the way a plugin's array is.
    struct BorrowedHeaders: KafkaHeaderSource {
        let names: [UnsafePointer<CChar>]
        let values: [UnsafeRawBufferPointer?]
        var headerCount: Int { names.count }
        func forEachHeader(_ body: (UnsafePointer<CChar>, UnsafeRawBufferPointer?) -> Void) {
            for (name, value) in zip(names, values) { body(name, value) }
        }
    }

    static func received(_ record: CopiedRecord) -> [OutgoingHeader] {
        record.headers.map { OutgoingHeader($0.name, $0.value) }
    }

    @Test func swiftHeadersKeepOrderEmptyAndNullValues() throws {
        let cluster = try EmbeddedCluster.with(topic: "headers")
        let producer = try cluster.producer()
        let tracker = DeliveryTracker()
        try producer.produce(topic: "headers", key: Array("k".utf8), value: Array("v".utf8), headers: Self.sent, tracker: tracker)
        #expect(tracker.wait() == nil)
        let record = try #require(try cluster.records("headers").first)
        #expect(Self.received(record) == Self.sent)
        #expect(record.header("ce_type") == "twice", "the last header of a name wins")
        #expect(record.keyBytes == Array("k".utf8))
    }

    @Test func borrowedHeadersAndAConsumedRecordsHeadersAreProducedInPlace() throws {
        let cluster = try EmbeddedCluster.with(topic: "borrowed")
        try cluster.createTopic("forwarded", partitions: 1)
        let producer = try cluster.producer()
        let tracker = DeliveryTracker()
        let names: [UnsafeMutablePointer<CChar>] = ["trace", "flag"].map { (name: String) in strdup(name)! }
        defer { names.forEach { free($0) } }
        let value = Array("abc".utf8)
        try value.withUnsafeBytes { bytes in
            let borrowed = BorrowedHeaders(names: names.map { UnsafePointer<CChar>($0) }, values: [bytes, nil])
            try producer.produce(topic: "borrowed", key: nil, value: nil, headers: borrowed, tracker: tracker)
        }
        #expect(tracker.wait() == nil)
        let expected = [OutgoingHeader("trace", "abc"), OutgoingHeader("flag", nil)]
        #expect(Self.received(try #require(try cluster.records("borrowed").first)) == expected)

        // A consumed record lends its own headers.
        let consumer = try KafkaConsumer(properties: KafkaProperties([
            "bootstrap.servers": cluster.bootstrapServers, "group.id": "forwarder", "enable.auto.commit": "false",
        ]), events: nil)
        defer { consumer.close() }
        try consumer.assign([(TopicPartition("borrowed", 0), 0)])
        let batch = consumer.makeBatch(capacity: 10)
        defer { batch.release() }
        let deadline = ContinuousClock.now + .seconds(10)
        var forwarded = false
        while !forwarded && ContinuousClock.now < deadline {
            consumer.consume(into: batch, timeoutMs: 200)
            for i in 0..<batch.count where batch[i].errorCode == .noError {
                try producer.produce(topic: "forwarded", key: nil, value: nil, headers: batch[i], tracker: tracker)
                forwarded = true
            }
        }
        #expect(tracker.wait() == nil)
        #expect(Self.received(try #require(try cluster.records("forwarded").first)) == expected)
    }
}
