// One consumer group: a polling thread that takes batches, hands each
// partition's records to its handlers in order (partitions in parallel), and
// stores offsets only for events that are finished with.
import CEventdPlugin
import EventdConfig
import EventdKafka
import EventdPluginHost
import EventdRouting
import EventdStore
import Foundation
import Logging

public final class GroupConsumer: KafkaClientEvents, @unchecked Sendable {
    public let group: String
    /// Read and replaced only on the polling thread; other threads read `topics`.
    private(set) var routes: RouteTable<PluginInstance>
    /// Retry policies and tier topics; read and replaced only on the polling thread.
    private(set) var plan: RetryPlan
    let tiers: RetryTierPublisher
    /// Which (topic, key)s have parked events, per plugin.
    let parkedKeys = ParkedKeyCache()
    /// Debug lines for ledger duplicates, rate-limited.
    let duplicateLog = DuplicateLog()
    /// Partitions paused until their next record is due: a tier record, or an in-memory retry (polling thread only).
    var delayed: [TopicPartition: ContinuousClock.Instant] = [:]
    /// The event an in-memory retry paused each partition at (polling thread only).
    var retryMemos: [TopicPartition: RetryMemo] = [:]
    let consumer: KafkaConsumer
    let followUps: FollowUpProducer
    let deadLetters: DeadLetterPublisher
    let options: DispatchOptions
    let metrics: any DeliveryMetrics
    /// Hears of broker errors (the degraded state).
    let health: KafkaHealth?
    let logger: Logger
    /// Handed to plugins in every event; lives as long as the process.
    nonisolated(unsafe) let groupCName: UnsafePointer<CChar>

    private let lock = NSLock()
    private var running = true
    private var countersStorage = GroupCounters()
    private var pluginStats: [String: PluginCounters] = [:]
    /// Work for the polling thread, run between batches (no event in flight).
    private var mailbox: [(GroupConsumer) -> Void] = []
    /// Topics paused by an admin ("*" for all), and plugins disabled; both only on the polling thread.
    private var pausedTopics: Set<String> = []
    private var disabledPlugins: Set<String> = []
    private var lastHeartbeat = ContinuousClock.now
    private var rebalanceCount = 0
    /// The source topics, published by the polling thread for other threads.
    private var publishedTopics: [String] = []
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    /// How a group takes and checks its records, from `[kafka]` and `[delivery]`.
    public struct DispatchOptions: Sendable {
        var batchSize: Int
        var pollTimeoutMs: Int32
        var maxMessageBytes: Int
        /// Deliveries a plugin may have in flight when the daemon dies before its event is quarantined.
        var crashLimit: Int

        public init(_ configuration: DaemonConfiguration) {
            batchSize = configuration.batchSize
            pollTimeoutMs = Int32(configuration.pollTimeoutMs)
            maxMessageBytes = configuration.maxMessageBytes
            crashLimit = configuration.delivery.crashLimit
        }
    }

    public init(group: String, routes: RouteTable<PluginInstance>, plan: RetryPlan, properties: KafkaProperties,
         followUps: FollowUpProducer, deadLetters: DeadLetterPublisher, options: DispatchOptions, metrics: any DeliveryMetrics,
         health: KafkaHealth?, logger: Logger) throws(KafkaError) {
        self.group = group
        self.metrics = metrics
        self.health = health
        self.routes = routes
        self.plan = plan
        tiers = RetryTierPublisher(producer: deadLetters.producer)
        self.followUps = followUps
        self.deadLetters = deadLetters
        self.options = options
        self.logger = logger.tagged("consumer_group", group)
        var props = properties
        props["group.id"] = group
        consumer = try KafkaConsumer(properties: props, events: nil)
        groupCName = UnsafePointer(strdup(group)!)
        consumer.events = self
        publishedTopics = routes.topics
    }

    /// Totals of this group so far.
    public var counters: GroupCounters { lock.withLock { countersStorage } }

    /// The source topics this group reads (any thread).
    public var topics: [String] { lock.withLock { publishedTopics } }

    /// Partition assignments this member received.
    public var rebalances: Int { lock.withLock { rebalanceCount } }

    /// Consumer lag per assigned partition.
    public func lag() -> [(TopicPartition, Int64)] { consumer.lag() }

    var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    public func start() throws(KafkaError) {
        try consumer.subscribe(subscription)
        logger.info("consumer subscribed", metadata: ["topics": "\(subscription.joined(separator: ","))"])
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "consume-\(group)"
        thread.start()
        self.thread = thread
    }

    /// Asks the loop to stop after the batch in hand, then waits for it to
    /// commit and leave the group.
    public func stop() {
        lock.lock()
        let wasRunning = running
        running = false
        lock.unlock()
        if wasRunning && thread != nil { finished.wait() }
        // The finished thread's closure holds this group (and so its Kafka client): let go of it, so that the
        // client is destroyed when its owner lets go, before an embedded cluster it talked to.
        thread = nil
    }

    private func run() {
        let batch = consumer.makeBatch(capacity: options.batchSize)
        var buckets: [TopicPartition: [Int]] = [:]
        while isRunning {
            runMailbox()
            lock.withLock { lastHeartbeat = .now }
            resumeDuePartitions()
            consumer.consume(into: batch, timeoutMs: options.pollTimeoutMs)
            guard batch.count > 0 else { continue }
            buckets.removeAll(keepingCapacity: true)
            var order: [TopicPartition] = []
            for i in 0..<batch.count {
                let record = batch[i]
                if record.errorCode != 0 {
                    if !record.isPartitionEOF { logger.warning("consumer error: \(record.errorDescription)") }
                    continue
                }
                let tp = TopicPartition(record.topic, record.partition)
                if buckets[tp] == nil { order.append(tp) }
                buckets[tp, default: []].append(i)
            }
            var results = [BucketResult](repeating: BucketResult(), count: order.count)
            let work = order.map { buckets[$0]! }
            // One copy of the routes per batch: reading the property per event copies the table
            // (retain/release of every array inside it, from every partition thread).
            let routes = self.routes
            let plan = self.plan
            let trackers = work.map { _ in DeliveryTracker() }
            let memos = order.map { retryMemos[$0] }
            results.withUnsafeMutableBufferPointer { out in
                // Each iteration writes only its own slot; the batch is read-only here.
                let shared = UncheckedSendable((out, batch, work, routes, plan, trackers, memos))
                DispatchQueue.concurrentPerform(iterations: work.count) { index in
                    let (slots, batch, work, routes, plan, trackers, memos) = shared.value
                    slots[index] = process(batch, indices: work[index], routes: routes, plan: plan, memo: memos[index],
                                           tracker: trackers[index])
                }
            }
            // Acknowledgements are awaited once for the whole batch, not partition by partition, and so are the
            // store commits the partitions sent (each partition's transaction began on top of the one sent before).
            for index in results.indices {
                results[index].deliveryFailure = trackers[index].wait()
                for (plugin, pending) in results[index].commits {
                    do {
                        try pending.wait()
                        outboxCommitted(plugin)
                    } catch {
                        logger.error("state store commit failed; the partition is read again", metadata: [
                            "topic": "\(order[index].topic)", "partition": "\(order[index].partition)", "plugin": "\(plugin.name)",
                            "error": "\(error)",
                        ])
                        results[index].deliveryFailure = results[index].deliveryFailure ?? .local(step: "store commit", reason: "\(error)")
                    }
                }
                results[index].commits = []
            }
            var toStore: [(TopicPartition, Int64)] = []
            var total = GroupCounters()
            for (index, tp) in order.enumerated() {
                var result = results[index]
                if result.deliveryFailure != nil {
                    result.counters.redelivered = buckets[tp]!.count
                    metrics.redelivered(group: group, topic: tp.topic, count: result.counters.redelivered)
                }
                total.add(result.counters)
                if let failure = result.deliveryFailure {
                    // A follow-up or dead letter was not acknowledged: nothing of
                    // this bucket is committed, and it is read again.
                    let first = batch[buckets[tp]!.first!].offset
                    logger.error("produce not acknowledged; re-reading the partition", metadata: [
                        "topic": "\(tp.topic)", "partition": "\(tp.partition)", "offset": "\(first)", "error": "\(failure)",
                    ])
                    do { try consumer.seek(tp, to: first) } catch { logger.error("seek failed: \(error)") }
                    Thread.sleep(forTimeInterval: 1)
                } else if let (offset, due) = result.notDue {
                    // A tier record that is not due yet, or an event between two in-memory attempts:
                    // the partition waits, paused, at that record; the others go on.
                    delay(tp, at: offset, until: due)
                    retryMemos[tp] = result.memo
                    toStore.append((tp, offset))
                } else {
                    retryMemos[tp] = nil
                    toStore.append((tp, batch[buckets[tp]!.last!].offset + 1))
                }
            }
            do { try consumer.store(toStore) } catch { logger.error("offset store failed: \(error)") }
            lock.lock()
            countersStorage.add(total)
            for result in results {
                for stats in result.handlers.values { pluginStats[stats.plugin.name, default: PluginCounters()].add(stats) }
            }
            lock.unlock()
        }
        batch.release()
        runMailbox()
        consumer.close()
        logger.info("consumer closed")
    }

    private func runMailbox() {
        let work = lock.withLock { () -> [(GroupConsumer) -> Void] in
            let work = mailbox
            mailbox.removeAll()
            return work
        }
        for item in work { item(self) }
    }

    /// Runs `body` on the polling thread between two batches and waits for it.
    /// - Returns: how long `body` held the loop.
    @discardableResult
    public func perform(_ body: @escaping (GroupConsumer) -> Void) -> Duration {
        let done = DispatchSemaphore(value: 0)
        let held = UncheckedBox(Duration.zero)
        lock.withLock {
            mailbox.append { consumer in
                let start = ContinuousClock.now
                body(consumer)
                held.value = ContinuousClock.now - start
                done.signal()
            }
        }
        consumer.wake()
        if !isRunning || thread == nil {
            runMailbox()
        }
        done.wait()
        return held.value
    }

    /// When the loop last started an iteration (the watchdog's liveness signal).
    public var heartbeat: ContinuousClock.Instant { lock.withLock { lastHeartbeat } }

    /// Per-plugin counters of this group.
    public var statsByPlugin: [String: PluginCounters] { lock.withLock { pluginStats } }

    // MARK: Polling-thread operations (call through `perform`).

    /// The source topics and their delay tier topics.
    var subscription: [String] { routes.topics + plan.tierTopics.keys.sorted() }

    /// Installs new routes and retry plan; resubscribes when the topic set changed.
    public func install(_ newRoutes: RouteTable<PluginInstance>, plan newPlan: RetryPlan) {
        let before = subscription
        routes = newRoutes
        plan = newPlan
        lock.withLock { publishedTopics = newRoutes.topics }
        if subscription != before {
            do {
                try consumer.subscribe(subscription)
                logger.info("consumer resubscribed", metadata: ["topics": "\(subscription.joined(separator: ","))"])
            } catch {
                logger.error("resubscribe failed: \(error)")
            }
        }
    }

    public func setPaused(_ paused: Bool, topic: String?) {
        let key = topic ?? "*"
        if paused { pausedTopics.insert(key) } else if topic == nil { pausedTopics.removeAll() } else { pausedTopics.remove(key) }
        applyPause()
    }

    public func setPluginEnabled(_ name: String, _ enabled: Bool) {
        if enabled { disabledPlugins.remove(name) } else { disabledPlugins.insert(name) }
        applyPause()
    }

    /// The admin pauses, readable from any thread without waiting for the polling thread
    /// (which may be waiting for acknowledgements while the brokers are away).
    public var pauseState: (topics: [String], disabledPlugins: [String]) { lock.withLock { publishedPauseState } }
    private var publishedPauseState: (topics: [String], disabledPlugins: [String]) = ([], [])

    private func applyPause() {
        let state = (pausedTopics.sorted(), disabledPlugins.sorted())
        lock.withLock { publishedPauseState = state }
        let assignment = consumer.assignment()
        let paused = assignment.filter { isAdminPaused($0) || delayed[$0] != nil }
        let running = assignment.filter { !isAdminPaused($0) && delayed[$0] == nil }
        if !paused.isEmpty { consumer.setPaused(true, paused) }
        if !running.isEmpty { consumer.setPaused(false, running) }
    }

    /// Paused by an admin: the topic (a tier topic with its source topic), every topic, or a disabled plugin.
    func isAdminPaused(_ tp: TopicPartition) -> Bool {
        if !disabledPlugins.isEmpty || pausedTopics.contains("*") || pausedTopics.contains(tp.topic) { return true }
        return plan.tierTopics[tp.topic].map { pausedTopics.contains($0) } ?? false
    }

    /// Tells the plugin's outbox relay that rows are waiting.
    public var outboxCommitted: @Sendable (PluginInstance) -> Void = { _ in }

    // MARK: KafkaClientEvents

    public func kafkaLog(level: Int32, facility: String, message: String) {
        logger.log(level: level <= 3 ? .error : level <= 4 ? .warning : level <= 6 ? .info : .debug, "librdkafka \(facility): \(message)")
    }

    public func kafkaError(_ error: KafkaError) {
        logger.warning("kafka: \(error)")
        health?.clientError(error, client: "consumer group \(group)")
    }

    public func kafkaAssigned(_ partitions: [TopicPartition]) {
        lock.withLock { rebalanceCount += 1 }
        // Another member may have parked events of keys this one now reads.
        parkedKeys.invalidate()
        metrics.rebalance(group: group)
        // Always: librdkafka keeps an application pause across a revoke and a new assignment, so a tier
        // partition that was waiting for a record (`delayed`, cleared on revoke) would stay paused for good.
        applyPause()
        logger.info("partitions assigned", metadata: ["count": "\(partitions.count)", "partitions": "\(PartitionRanges.summary(partitions))"])
    }

    public func kafkaRevoked(_ partitions: [TopicPartition]) {
        for tp in partitions {
            delayed[tp] = nil
            retryMemos[tp] = nil
        }
        logger.info("partitions revoked", metadata: ["partitions": "\(partitions.map(\.description).joined(separator: ","))"])
    }
}
