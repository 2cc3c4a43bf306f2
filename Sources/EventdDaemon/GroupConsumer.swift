// One consumer group: a polling thread that takes batches, hands each
// partition's records to its handlers in order (partitions in parallel), and
// stores offsets only for events that are finished with.
import CEventdPlugin
import EventdConfig
import EventdKafka
import EventdPluginHost
import EventdRouting
import Foundation
import Logging

/// Counters of one group, updated by its polling thread.
public struct GroupCounters: Sendable, Equatable {
    public var consumed = 0
    public var handled = 0
    public var skipped = 0
    public var retried = 0
    public var deadLettered = 0
    public var redelivered = 0
    /// Deliveries skipped because the idempotency ledger had their event id.
    public var duplicates = 0
    /// Events put on a delay tier topic (after failing, or behind an earlier event of their key).
    public var parked = 0
    /// Dead letters by outcome (rejected, retries-exhausted, malformed, unknown-event, oversized).
    public var deadLetteredBy: [String: Int] = [:]

    mutating func add(_ other: GroupCounters) {
        consumed += other.consumed
        handled += other.handled
        skipped += other.skipped
        retried += other.retried
        deadLettered += other.deadLettered
        redelivered += other.redelivered
        duplicates += other.duplicates
        parked += other.parked
        for (outcome, count) in other.deadLetteredBy { deadLetteredBy[outcome, default: 0] += count }
    }
}

final class GroupConsumer: KafkaClientEvents, @unchecked Sendable {
    let group: String
    /// Read and replaced only on the polling thread.
    private(set) var routes: RouteTable<PluginInstance>
    /// Retry policies and tier topics; read and replaced only on the polling thread.
    private(set) var plan: RetryPlan
    let tiers: RetryTierPublisher
    /// Which (topic, key)s have parked events, per plugin.
    let parkedKeys = ParkedKeyCache()
    /// Partitions paused until their next record is due: a tier record, or an in-memory retry (polling thread only).
    var delayed: [TopicPartition: ContinuousClock.Instant] = [:]
    /// The event an in-memory retry paused each partition at (polling thread only).
    var retryMemos: [TopicPartition: RetryMemo] = [:]
    let consumer: KafkaConsumer
    let followUps: FollowUpProducer
    let deadLetters: DeadLetterPublisher
    let options: DispatchOptions
    let metrics: DaemonMetrics
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
    private(set) var rebalances = 0
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    struct DispatchOptions {
        var batchSize: Int
        var pollTimeoutMs: Int32
        var maxMessageBytes: Int
        /// Deliveries a plugin may have in flight when the daemon dies before its event is quarantined.
        var crashLimit: Int
    }

    init(group: String, routes: RouteTable<PluginInstance>, plan: RetryPlan, properties: KafkaProperties,
         followUps: FollowUpProducer, deadLetters: DeadLetterPublisher, options: DispatchOptions, metrics: DaemonMetrics,
         logger: Logger) throws(KafkaError) {
        self.group = group
        self.metrics = metrics
        self.routes = routes
        self.plan = plan
        tiers = RetryTierPublisher(producer: deadLetters.producer)
        self.followUps = followUps
        self.deadLetters = deadLetters
        self.options = options
        var logger = logger
        logger[metadataKey: "consumer_group"] = .string(group)
        self.logger = logger
        var props = properties
        props["group.id"] = group
        consumer = try KafkaConsumer(properties: props, events: nil)
        groupCName = UnsafePointer(strdup(group)!)
        consumer.events = self
    }

    var counters: GroupCounters {
        lock.lock()
        defer { lock.unlock() }
        return countersStorage
    }

    private var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    func start() throws(KafkaError) {
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
    func stop() {
        lock.lock()
        let wasRunning = running
        running = false
        lock.unlock()
        if wasRunning && thread != nil { finished.wait() }
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
            // Acknowledgements are awaited once for the whole batch, not partition by partition.
            for index in results.indices { results[index].deliveryFailure = trackers[index].wait() }
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
    func perform(_ body: @escaping (GroupConsumer) -> Void) -> Duration {
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
    var heartbeat: ContinuousClock.Instant { lock.withLock { lastHeartbeat } }

    /// Per-plugin counters of this group.
    var statsByPlugin: [String: PluginCounters] { lock.withLock { pluginStats } }

    // MARK: Polling-thread operations (call through `perform`).

    /// The source topics and their delay tier topics.
    var subscription: [String] { routes.topics + plan.tierTopics.keys.sorted() }

    /// Installs new routes and retry plan; resubscribes when the topic set changed.
    func install(_ newRoutes: RouteTable<PluginInstance>, plan newPlan: RetryPlan) {
        let before = subscription
        routes = newRoutes
        plan = newPlan
        if subscription != before {
            do {
                try consumer.subscribe(subscription)
                logger.info("consumer resubscribed", metadata: ["topics": "\(subscription.joined(separator: ","))"])
            } catch {
                logger.error("resubscribe failed: \(error)")
            }
        }
    }

    func setPaused(_ paused: Bool, topic: String?) {
        let key = topic ?? "*"
        if paused { pausedTopics.insert(key) } else if topic == nil { pausedTopics.removeAll() } else { pausedTopics.remove(key) }
        applyPause()
    }

    func setPluginEnabled(_ name: String, _ enabled: Bool) {
        if enabled { disabledPlugins.remove(name) } else { disabledPlugins.insert(name) }
        applyPause()
    }

    /// The admin pauses, readable from any thread without waiting for the polling thread
    /// (which may be waiting for acknowledgements while the brokers are away).
    var pauseState: (topics: [String], disabledPlugins: [String]) { lock.withLock { publishedPauseState } }
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

    struct BucketResult {
        var counters = GroupCounters()
        var handlers: [HandlerKey: HandlerStats] = [:]
        var deliveryFailure: KafkaError?
        /// The partition stopped at this offset: its record is due (again) at that instant.
        var notDue: (offset: Int64, due: ContinuousClock.Instant)?
        /// With `notDue` for an in-memory retry: where the stopped event's handlers stand.
        var memo: RetryMemo?
    }

    /// An event whose partition is paused between two in-memory attempts of one of its handlers.
    struct RetryMemo {
        var offset: Int64
        /// Handlers that finished with it (not handed it again), and the attempts and first failure of the others.
        var done: Set<ObjectIdentifier> = []
        var attempts: [ObjectIdentifier: Int] = [:]
        var firstFailure: [ObjectIdentifier: Date] = [:]
    }

    struct HandlerKey: Hashable {
        let plugin: ObjectIdentifier
        let event: Int
    }

    /// One (plugin, event)'s results within one bucket.
    struct HandlerStats {
        let plugin: PluginInstance
        let event: String
        var handled = 0
        var rejected = 0
        var exhausted = 0
        var crashed = 0
        var duplicates = 0
        var retries = 0
        var parked = 0
        var latencies: [Duration] = []
    }

    /// Handles one partition's records of a batch, in order.
    private func process(_ batch: KafkaRecordBatch, indices: [Int], routes: RouteTable<PluginInstance>, plan: RetryPlan,
                         memo: RetryMemo?, tracker: DeliveryTracker) -> BucketResult {
        var result = BucketResult()
        // A bucket is one partition, so one topic: look it up once.
        let topic = routes.topic(batch[indices[0]].topicBytes)
        if topic == nil, plan.tierTopics[batch[indices[0]].topic] != nil {
            followUps.withTracker(tracker) {
                processTier(batch, indices: indices, routes: routes, plan: plan, memo: memo, tracker: tracker, result: &result)
            }
            metrics.record(group: group, topic: batch[indices[0]].topic, result)
            return result
        }
        var scratch = EventScratch()
        defer { scratch.free() }
        var seenIDs = BatchIDSet(capacity: indices.count)
        var parked = parkedSnapshot(plan)
        followUps.withTracker(tracker) {
            for i in indices {
                result.counters.consumed += 1
                let record = batch[i]
                let handed = memo.flatMap { $0.offset == record.offset ? $0 : nil }
                dispatch(record, topic: topic, routes: routes, plan: plan, scratch: &scratch, seenIDs: &seenIDs,
                         parked: &parked, memo: handed, tracker: tracker, result: &result)
                if result.notDue != nil { break }
            }
        }
        // Metrics are recorded here, in parallel across partitions, not on the polling thread.
        metrics.record(group: group, topic: batch[indices[0]].topic, result)
        return result
    }

    /// Routes one record and runs its handlers; dead-letters what cannot be handled.
    private func dispatch(_ record: KafkaRecord, topic: Int?, routes: RouteTable<PluginInstance>, plan: RetryPlan,
                          scratch: inout EventScratch, seenIDs: inout BatchIDSet, parked: inout ParkedSnapshot,
                          memo: RetryMemo?, tracker: DeliveryTracker, result: inout BucketResult) {
        if record.valueLength > options.maxMessageBytes {
            deadLetter(record, DeadLetter(outcome: .oversized, error: "value of \(record.valueLength) bytes exceeds max_message_bytes \(options.maxMessageBytes)",
                                          attempts: 0, firstFailure: Date(), lastFailure: Date()), tracker, &result.counters)
            return
        }
        guard let topic else {
            result.counters.skipped += 1
            return
        }
        let resolved: ResolvedEvent
        switch EventResolver.resolve(record, topic: topic, routes: routes, scratch: &scratch) {
        case .success(let event): resolved = event
        case .failure(let problem):
            deadLetter(record, DeadLetter(outcome: problem.outcome, error: problem.message,
                                          attempts: 0, firstFailure: Date(), lastFailure: Date()), tracker, &result.counters)
            return
        }
        let targets = routes.targets(topic: topic, event: resolved.event)
        guard !targets.isEmpty else {
            result.counters.skipped += 1
            return
        }
        let id = scratch.idBytes
        if id.count > 0, !seenIDs.insert(id) {
            deadLetter(record, DeadLetter(outcome: .duplicateID,
                                          error: "event id '\(String(decoding: id, as: UTF8.self))' appears more than once in one batch of partition \(record.partition)",
                                          attempts: 0, firstFailure: Date(), lastFailure: Date()), tracker, &result.counters)
            return
        }
        let errorBuffer = scratch.error
        scratch.withEvent(record, name: resolved.event.cName, group: groupCName) { event in
            for (index, plugin) in targets.enumerated() {
                let pluginID = ObjectIdentifier(plugin)
                // Back after an in-memory retry's pause: handlers that finished with it are not handed it again.
                if let memo, memo.done.contains(pluginID) { continue }
                let start = ContinuousClock.now
                let policy = plan.policy(plugin, event: resolved.event.index)
                if !parked.empty, parkBehindEarlier(record, plugin: plugin, event: resolved.event.name,
                                                    eventID: { event.pointee.event_id.map { String(cString: $0) } ?? "" },
                                                    policy: policy, parked: &parked, tracker: tracker, counters: &result.counters) {
                    let key = HandlerKey(plugin: ObjectIdentifier(plugin), event: resolved.event.index)
                    result.handlers[key, default: HandlerStats(plugin: plugin, event: resolved.event.name)].parked += 1
                    continue
                }
                var ladder = Ladder()
                ladder.priorAttempts = memo?.attempts[pluginID] ?? 0
                ladder.firstFailure = memo?.firstFailure[pluginID]
                let outcome = handle(record, event: event, plugin: plugin, eventName: resolved.event.name, errorBuffer: errorBuffer,
                                     tracker: tracker, counters: &result.counters, policy: policy, ladder: ladder, started: start,
                                     pausing: true)
                if outcome.outcome == .backoff {
                    // The partition pauses at this event; the handlers after this one get it when it comes back.
                    var next = memo ?? RetryMemo(offset: record.offset)
                    // The handlers before this one are done with it (handled, parked, or done before the pause).
                    next.done.formUnion(targets[..<index].map(ObjectIdentifier.init))
                    next.attempts[pluginID] = outcome.attempts
                    next.firstFailure[pluginID] = outcome.firstFailure
                    result.memo = next
                    result.notDue = (record.offset, .now + .milliseconds(Int(outcome.retryAfter * 1000)))
                    let key = HandlerKey(plugin: pluginID, event: resolved.event.index)
                    result.handlers[key, default: HandlerStats(plugin: plugin, event: resolved.event.name)].record(outcome, latency: .zero)
                    return
                }
                if outcome.outcome == .parked, policy.keepKeyOrder, let key = record.key {
                    // Later events of its key in this batch wait behind it.
                    parked.insert(plugin, topic: record.topic, key: Array(key))
                }
                let latency = (outcome.finished ?? .now) - start
                let key = HandlerKey(plugin: ObjectIdentifier(plugin), event: resolved.event.index)
                result.handlers[key, default: HandlerStats(plugin: plugin, event: resolved.event.name)].record(outcome, latency: latency)
            }
        }
    }

    /// Where a delivery stands on its retry ladder.
    struct Ladder {
        /// In-memory attempts of this delivery (nil: the policy's).
        var attempts: Int?
        /// The tier an event goes to when this delivery's attempts fail.
        var nextTier = 0
        /// Attempts made by earlier deliveries.
        var attemptsBefore = 0
        var firstFailure: Date?
        /// The event has a row in the plugin's `parked` table, to remove once it is finished.
        var holdsParkRow = false
        /// In-memory attempts earlier calls made (a partition paused between them).
        var priorAttempts = 0
    }

    /// Runs one handler with in-memory retries; then parks the event on its
    /// next delay tier, or dead-letters it (on reject, or when no tier is left).
    /// - Returns: the final outcome.
    func handle(_ record: some RecordFields, event: UnsafePointer<dte_event>, plugin: PluginInstance, eventName: String,
                errorBuffer: UnsafeMutablePointer<CChar>, tracker: DeliveryTracker, counters: inout GroupCounters,
                policy: RetryPolicy, ladder: Ladder = Ladder(), replayedFrom: String? = nil,
                started: ContinuousClock.Instant? = nil, pausing: Bool = false) -> HandlerResult {
        let transactional = plugin.image.transactional
        let store = plugin.context.state
        let eventID = event.pointee.event_id.map { String(cString: $0) } ?? ""
        /// Finished with (handled, skipped or dead-lettered): later events of its key may go.
        func finished(_ result: HandlerResult) -> HandlerResult {
            if ladder.holdsParkRow, let key = record.keyBytes {
                do {
                    try store.unpark(group: group, topic: record.topic, key: key, partition: record.partition, offset: record.offset)
                } catch {
                    logger.error("cannot release a parked event; its key stays parked: \(error)")
                }
            }
            return result
        }
        /// Times the delivery was started (transactional plugins): more than 1 means the daemon died while the plugin held it.
        var starts = 0
        defer {
            if starts > 0 {
                try? store.finishDelivery(group: group, topic: record.topic, partition: record.partition, offset: record.offset)
            }
        }
        let attempts = ladder.attempts ?? policy.attempts
        let deadline: Duration? = policy.deadlineMs > 0 ? .milliseconds(policy.deadlineMs) : nil
        /// When the last call returned (the caller's latency measure, without a second clock read).
        var returnedAt: ContinuousClock.Instant?
        /// An ok that came too late is a transient failure (its transaction is rolled back).
        func overDeadline(_ outcome: dte_outcome, since start: ContinuousClock.Instant) -> Bool {
            guard let deadline else { return false }
            let now = ContinuousClock.now
            returnedAt = now
            let took = now - start
            guard outcome == DTE_OK, took > deadline else { return false }
            writeError("handler took \(Int(milliseconds(took))) ms, over its deadline of \(policy.deadlineMs) ms", errorBuffer)
            return true
        }
        // Pausing: one attempt per call, `ladder.priorAttempts` made by earlier calls; a failure
        // with attempts left returns `.backoff` and the caller pauses the partition (never sleeps).
        var attempt = ladder.priorAttempts
        var retried = 0
        var firstFailure = ladder.firstFailure
        while true {
            attempt += 1
            errorBuffer[0] = 0
            var outcome: dte_outcome
            if transactional {
                do {
                    let result: TransactionalAttempt = try store.outsideTransactions {
                        if starts == 0 {
                            // Marked under the store's lock right before the plugin gets the event, so a marker a
                            // crash leaves names the event the plugin held, not one waiting for the lock.
                            starts = (try? store.startDelivery(group: group, topic: record.topic, partition: record.partition,
                                                               offset: record.offset)) ?? 1
                            if starts > options.crashLimit { return .quarantined }
                        }
                        let outcome: dte_outcome? = try store.transaction {
                            if !eventID.isEmpty, try store.isHandled(group: group, eventID: eventID) { return (false, nil) }
                            let start = attempt == ladder.priorAttempts + 1 ? started ?? .now : .now
                            let outcome = followUps.withTransaction(plugin: plugin.name, store: store) {
                                plugin.handle(event, error: errorBuffer, capacity: EventScratch.errorCapacity)
                            }
                            if overDeadline(outcome, since: start) { return (false, DTE_RETRY) }
                            guard outcome == DTE_OK else { return (false, outcome) }
                            if !eventID.isEmpty { try store.markHandled(group: group, eventID: eventID) }
                            return (true, outcome)
                        }
                        return outcome.map(TransactionalAttempt.outcome) ?? .duplicate
                    }
                    switch result {
                    case .quarantined:
                        let now = Date()
                        deadLetter(record, DeadLetter(outcome: .handlerCrashed,
                                                      error: "the daemon died \(starts - 1) times while plugin '\(plugin.name)' handled this event; it is not handed to it again",
                                                      plugin: plugin.name, pluginVersion: plugin.version, handler: eventName,
                                                      attempts: ladder.attemptsBefore + starts - 1, firstFailure: ladder.firstFailure ?? now,
                                                      lastFailure: now, replayedFrom: replayedFrom),
                                   tracker, &counters)
                        return finished(HandlerResult(outcome: .crashed, attempts: 0))
                    case .duplicate:
                        counters.duplicates += 1
                        return finished(HandlerResult(outcome: .duplicate, attempts: attempt))
                    case .outcome(let result):
                        outcome = result
                    }
                    if outcome == DTE_OK { outboxCommitted(plugin) }
                } catch {
                    // The store failed, not the event: a transient failure.
                    writeError("state store: \(error)", errorBuffer)
                    outcome = DTE_RETRY
                }
            } else {
                let start = attempt == ladder.priorAttempts + 1 ? started ?? .now : .now
                outcome = plugin.handle(event, error: errorBuffer, capacity: EventScratch.errorCapacity)
                if overDeadline(outcome, since: start) { outcome = DTE_RETRY }
            }
            if outcome == DTE_OK {
                counters.handled += 1
                return finished(HandlerResult(outcome: .ok, attempts: attempt, finished: returnedAt, retried: retried))
            }
            errorBuffer[EventScratch.errorCapacity - 1] = 0
            let reason = String(cString: errorBuffer)
            let now = Date()
            if firstFailure == nil { firstFailure = now }
            if outcome == DTE_RETRY && attempt < attempts && pausing {
                counters.retried += 1
                logger.warning("handler asked for a retry; its partition waits", metadata: [
                    "plugin": "\(plugin.name)", "topic": "\(record.topic)", "partition": "\(record.partition)",
                    "offset": "\(record.offset)", "attempt": "\(ladder.attemptsBefore + attempt)", "error": "\(reason)",
                ])
                return HandlerResult(outcome: .backoff, attempts: attempt, finished: returnedAt, retried: retried + 1,
                                     retryAfter: backoff(attempt: attempt, policy), firstFailure: firstFailure)
            }
            if outcome == DTE_RETRY && attempt < attempts && isRunning {
                counters.retried += 1
                retried += 1
                logger.warning("handler asked for a retry", metadata: [
                    "plugin": "\(plugin.name)", "topic": "\(record.topic)", "partition": "\(record.partition)",
                    "offset": "\(record.offset)", "attempt": "\(ladder.attemptsBefore + attempt)", "error": "\(reason)",
                ])
                Thread.sleep(forTimeInterval: backoff(attempt: attempt, policy))
                continue
            }
            if outcome == DTE_RETRY && ladder.nextTier < policy.tiers.count && replayedFrom == nil {
                let ordered = ladder.holdsParkRow || (policy.keepKeyOrder && record.keyBytes != nil)
                let parked = ParkedEvent(group: group, plugin: plugin.name, handler: eventName, eventID: eventID, tier: ladder.nextTier,
                                         behind: false, ordered: ordered, attempts: ladder.attemptsBefore + attempt,
                                         firstFailure: firstFailure, lastError: reason, dueMs: 0)
                // Parked, or (when parking failed) the partition is read again: either way not finished here.
                park(record, parked, plugin: plugin, policy: policy, tracker: tracker, counters: &counters)
                return HandlerResult(outcome: .parked, attempts: attempt, retried: retried)
            }
            let letter = DeadLetter(outcome: outcome == DTE_RETRY ? .retriesExhausted : .rejected, error: reason,
                                    plugin: plugin.name, pluginVersion: plugin.version, handler: eventName,
                                    attempts: ladder.attemptsBefore + attempt, firstFailure: firstFailure!, lastFailure: now,
                                    replayedFrom: replayedFrom)
            deadLetter(record, letter, tracker, &counters)
            return finished(HandlerResult(outcome: letter.outcome == .rejected ? .rejected : .retriesExhausted, attempts: attempt,
                                          retried: retried))
        }
    }

    /// Tells the plugin's outbox relay that rows are waiting.
    var outboxCommitted: (PluginInstance) -> Void = { _ in }

    /// Exponential backoff with full jitter, capped.
    func backoff(attempt: Int, _ policy: RetryPolicy) -> TimeInterval {
        let ceiling = min(Double(policy.backoffMaxMs), Double(policy.backoffMs) * pow(2, Double(attempt - 1)))
        return Double.random(in: ceiling / 2...max(ceiling, ceiling / 2 + 0.001)) / 1000
    }

    func deadLetter(_ record: some RecordFields, _ letter: DeadLetter, _ tracker: DeliveryTracker, _ counters: inout GroupCounters) {
        counters.deadLettered += 1
        counters.deadLetteredBy[letter.outcome.rawValue, default: 0] += 1
        logger.error("event dead-lettered", metadata: [
            "topic": "\(record.topic)", "partition": "\(record.partition)", "offset": "\(record.offset)",
            "outcome": "\(letter.outcome.rawValue)", "plugin": "\(letter.plugin ?? "-")", "error": "\(letter.error)",
        ])
        do {
            try deadLetters.publish(record, group: group, letter: letter, tracker: tracker)
        } catch {
            // Counted as a delivery failure: the partition is re-read, the event is not lost.
            logger.critical("dead-letter produce failed: \(error)")
            tracker.fail(error)
        }
    }

    // MARK: KafkaClientEvents

    func kafkaLog(level: Int32, facility: String, message: String) {
        logger.log(level: level <= 3 ? .error : level <= 4 ? .warning : level <= 6 ? .info : .debug, "librdkafka \(facility): \(message)")
    }

    func kafkaError(_ error: KafkaError) {
        logger.warning("kafka: \(error)")
        metrics.kafkaHealth?.clientError(error, client: "consumer group \(group)")
    }

    func kafkaAssigned(_ partitions: [TopicPartition]) {
        lock.withLock { rebalances += 1 }
        // Another member may have parked events of keys this one now reads.
        parkedKeys.invalidate()
        metrics.rebalance(group: group)
        if !pausedTopics.isEmpty || !disabledPlugins.isEmpty { applyPause() }
        logger.info("partitions assigned", metadata: ["partitions": "\(partitions.map(\.description).joined(separator: ","))"])
    }

    func kafkaRevoked(_ partitions: [TopicPartition]) {
        for tp in partitions {
            delayed[tp] = nil
            retryMemos[tp] = nil
        }
        logger.info("partitions revoked", metadata: ["partitions": "\(partitions.map(\.description).joined(separator: ","))"])
    }
}


/// One attempt of a transactional plugin's handler.
enum TransactionalAttempt {
    case quarantined, duplicate, outcome(dte_outcome)
}

/// The result of handing one event to one plugin.
struct HandlerResult {
    enum Outcome { case ok, rejected, retriesExhausted, duplicate, crashed, parked, backoff }
    var outcome: Outcome
    /// Attempts so far, earlier calls of an in-memory retry included.
    var attempts: Int
    /// When the handler's last call returned, if measured.
    var finished: ContinuousClock.Instant? = nil
    /// Failed attempts this call followed with another (`.backoff` counts its next one).
    var retried = 0
    /// `.backoff`: how long to wait before the next attempt, and when the first one failed.
    var retryAfter: TimeInterval = 0
    var firstFailure: Date? = nil
}

/// Counters of one plugin within one group.
public struct PluginCounters: Sendable, Equatable {
    public var handled = 0
    public var failed = 0
    public var duplicates = 0
    public var retries = 0
    /// Put on a delay tier (after failing, or behind an earlier event of its key).
    public var parked = 0
    public var latencyTotal = Duration.zero
    public var latencyMax = Duration.zero

    mutating func add(_ stats: GroupConsumer.HandlerStats) {
        handled += stats.handled
        failed += stats.rejected + stats.exhausted + stats.crashed
        duplicates += stats.duplicates
        retries += stats.retries
        parked += stats.parked
        for latency in stats.latencies {
            latencyTotal += latency
            if latency > latencyMax { latencyMax = latency }
        }
    }
}

extension GroupConsumer.HandlerStats {
    mutating func record(_ result: HandlerResult, latency: Duration) {
        switch result.outcome {
        case .ok: handled += 1
        case .rejected: rejected += 1
        case .retriesExhausted: exhausted += 1
        case .crashed: crashed += 1
        case .duplicate: duplicates += 1
        case .parked: parked += 1
        case .backoff: break
        }
        retries += result.retried
        if result.outcome != .backoff { latencies.append(latency) }
    }
}

final class UncheckedBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

/// Hands values to `concurrentPerform` whose safety the caller guarantees.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
