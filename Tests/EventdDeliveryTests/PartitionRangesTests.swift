import EventdKafka
@testable import EventdDelivery
import Testing

@Suite struct PartitionRangesTests {
    @Test func aGroupsPartitionsAreOneShortLine() {
        let all = ["mission-events", "evaluation-events", "mission.completed"].flatMap { topic in
            (0..<6).reversed().map { TopicPartition(topic, Int32($0)) }
        }
        #expect(PartitionRanges.summary(all) == "evaluation-events[0-5] mission-events[0-5] mission.completed[0-5]")
    }

    @Test(arguments: [
        ([Int32](), ""), ([3], "3"), ([0, 1, 2], "0-2"), ([5, 0, 2, 3, 9, 10, 11], "0,2-3,5,9-11"), ([1, 1, 2], "1-2"),
    ])
    func partitionsFoldIntoRanges(numbers: [Int32], expected: String) {
        #expect(PartitionRanges.ranges(numbers) == expected)
    }
}
