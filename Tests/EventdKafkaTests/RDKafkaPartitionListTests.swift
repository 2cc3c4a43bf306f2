// The owned partition list: what goes in comes back out.
@testable import EventdKafka
import Testing

@Suite struct RDKafkaPartitionListTests {
    @Test func offsetsRoundTrip() {
        let offsets: [(TopicPartition, Int64)] = [(TopicPartition("a", 0), 5), (TopicPartition("a", 1), 0), (TopicPartition("b", 3), -1000)]
        let list = RDKafkaPartitionList(offsets)
        #expect(list.count == 3)
        #expect(list.offsets.map(\.0) == offsets.map(\.0))
        #expect(list.offsets.map(\.1) == offsets.map(\.1))
        #expect(list.firstError == nil)
    }

    @Test func partitionsWithoutOffsetsAndWholeTopics() {
        let partitions = [TopicPartition("a", 2), TopicPartition("b", 0)]
        let list = RDKafkaPartitionList(partitions)
        #expect(list.partitions == partitions)
        #expect(list.offsets.allSatisfy { $0.1 == -1001 }, "RD_KAFKA_OFFSET_INVALID where none is set")
        let topics = RDKafkaPartitionList(topics: ["x", "y"])
        #expect(topics.partitions == [TopicPartition("x", -1), TopicPartition("y", -1)], "RD_KAFKA_PARTITION_UA")
        list.add(TopicPartition("c", 1), offset: 7)
        #expect(list.offsets.last.map { "\($0.0)@\($0.1)" } == "c[1]@7")
    }
}
