// A consumer group's partitions as one short line: each topic once, with
// its partitions as ranges ("mission-events[0-5] evaluation-events[0,2-3]"),
// instead of hundreds of topic[partition] entries.
import EventdKafka

enum PartitionRanges {
    /// Topics in name order, each with its partitions folded into ranges.
    static func summary(_ partitions: [TopicPartition]) -> String {
        Dictionary(grouping: partitions, by: \.topic).sorted { $0.key < $1.key }.map { topic, list in
            "\(topic)[\(ranges(list.map(\.partition)))]"
        }.joined(separator: " ")
    }

    static func ranges(_ numbers: [Int32]) -> String {
        var runs: [(first: Int32, last: Int32)] = []
        for n in Set(numbers).sorted() {
            if let run = runs.last, n == run.last + 1 { runs[runs.count - 1].last = n } else { runs.append((n, n)) }
        }
        return runs.map { $0.first == $0.last ? "\($0.first)" : "\($0.first)-\($0.last)" }.joined(separator: ",")
    }
}
