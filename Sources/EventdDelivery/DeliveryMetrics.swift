// Where delivery reports what it did; the daemon implements it on its metrics registry.

/// Receives each partition batch's results, off the polling thread, in parallel across partitions.
public protocol DeliveryMetrics: AnyObject, Sendable {
    /// One batch's results of one partition.
    func record(group: String, topic: String, _ result: GroupConsumer.BucketResult)
    /// Records of a partition that are read again (a produce was not acknowledged).
    func redelivered(group: String, topic: String, count: Int)
    func rebalance(group: String)
}
