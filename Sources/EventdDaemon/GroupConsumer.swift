// One consumer group: a polling thread that takes batches, hands each
// partition's records to its handlers in order (partitions in parallel), and
// stores offsets only for events that are finished with.
import CEventdPlugin
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
}

final class GroupConsumer: KafkaClientEvents, @unchecked Sendable {
    let group: String
    let routes: RouteTable<PluginInstance>
    let consumer: KafkaConsumer
    let followUps: FollowUpProducer
    let deadLetters: DeadLetterPublisher
    let options: DispatchOptions
    let logger: Logger
    /// Handed to plugins in every event; lives as long as the process.
    nonisolated(unsafe) let groupCName: UnsafePointer<CChar>

    private let lock = NSLock()
    private var running = true
    private var countersStorage = GroupCounters()
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    struct DispatchOptions {
        var batchSize: Int
        var pollTimeoutMs: Int32
        var maxMessageBytes: Int
        var attempts: Int
        var backoffMs: Int
        var backoffMaxMs: Int
    }

    init(group: String, routes: RouteTable<PluginInstance>, properties: KafkaProperties,
         followUps: FollowUpProducer, deadLetters: DeadLetterPublisher, options: DispatchOptions, logger: Logger) throws(KafkaError) {
        self.group = group
        self.routes = routes
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
        try consumer.subscribe(routes.topics)
        logger.info("consumer subscribed", metadata: ["topics": "\(routes.topics.joined(separator: ","))"])
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
            results.withUnsafeMutableBufferPointer { out in
                // Each iteration writes only its own slot; the batch is read-only here.
                let shared = UncheckedSendable((out, batch, work))
                DispatchQueue.concurrentPerform(iterations: work.count) { index in
                    let (slots, batch, work) = shared.value
                    slots[index] = process(batch, indices: work[index])
                }
            }
            var toStore: [(TopicPartition, Int64)] = []
            var total = GroupCounters()
            for (index, tp) in order.enumerated() {
                let result = results[index]
                total.consumed += result.counters.consumed
                total.handled += result.counters.handled
                total.skipped += result.counters.skipped
                total.retried += result.counters.retried
                total.deadLettered += result.counters.deadLettered
                if let failure = result.deliveryFailure {
                    // A follow-up or dead letter was not acknowledged: nothing of
                    // this bucket is committed, and it is read again.
                    let first = batch[buckets[tp]!.first!].offset
                    logger.error("produce not acknowledged; re-reading the partition", metadata: [
                        "topic": "\(tp.topic)", "partition": "\(tp.partition)", "offset": "\(first)", "error": "\(failure)",
                    ])
                    total.redelivered += buckets[tp]!.count
                    do { try consumer.seek(tp, to: first) } catch { logger.error("seek failed: \(error)") }
                    Thread.sleep(forTimeInterval: 1)
                } else {
                    toStore.append((tp, batch[buckets[tp]!.last!].offset + 1))
                }
            }
            do { try consumer.store(toStore) } catch { logger.error("offset store failed: \(error)") }
            lock.lock()
            countersStorage.consumed += total.consumed
            countersStorage.handled += total.handled
            countersStorage.skipped += total.skipped
            countersStorage.retried += total.retried
            countersStorage.deadLettered += total.deadLettered
            countersStorage.redelivered += total.redelivered
            lock.unlock()
        }
        batch.release()
        consumer.close()
        logger.info("consumer closed")
    }

    struct BucketResult {
        var counters = GroupCounters()
        var deliveryFailure: KafkaError?
    }

    /// Handles one partition's records of a batch, in order.
    private func process(_ batch: KafkaRecordBatch, indices: [Int]) -> BucketResult {
        var result = BucketResult()
        let tracker = DeliveryTracker()
        var scratch = EventScratch()
        defer { scratch.free() }
        followUps.withTracker(tracker) {
            for i in indices {
                result.counters.consumed += 1
                dispatch(batch[i], scratch: &scratch, tracker: tracker, counters: &result.counters)
            }
        }
        result.deliveryFailure = tracker.wait()
        return result
    }

    /// Routes one record and runs its handlers; dead-letters what cannot be handled.
    private func dispatch(_ record: KafkaRecord, scratch: inout EventScratch, tracker: DeliveryTracker, counters: inout GroupCounters) {
        if record.valueLength > options.maxMessageBytes {
            deadLetter(record, DeadLetter(outcome: .oversized, error: "value of \(record.valueLength) bytes exceeds max_message_bytes \(options.maxMessageBytes)",
                                          attempts: 0, firstFailure: Date(), lastFailure: Date()), tracker, &counters)
            return
        }
        guard let topic = routes.topic(record.topicBytes) else {
            counters.skipped += 1
            return
        }
        let resolved: ResolvedEvent
        switch EventResolver.resolve(record, topic: topic, routes: routes, scratch: &scratch) {
        case .success(let event): resolved = event
        case .failure(let problem):
            deadLetter(record, DeadLetter(outcome: problem.outcome, error: problem.message,
                                          attempts: 0, firstFailure: Date(), lastFailure: Date()), tracker, &counters)
            return
        }
        let targets = routes.targets(topic: topic, event: resolved.event)
        guard !targets.isEmpty else {
            counters.skipped += 1
            return
        }
        let errorBuffer = scratch.error
        scratch.withEvent(record, name: resolved.event.cName, group: groupCName) { event in
            for plugin in targets {
                handle(record, event: event, plugin: plugin, eventName: resolved.event.name, errorBuffer: errorBuffer,
                       tracker: tracker, counters: &counters)
            }
        }
    }

    private func handle(_ record: KafkaRecord, event: UnsafePointer<dte_event>, plugin: PluginInstance, eventName: String,
                        errorBuffer: UnsafeMutablePointer<CChar>, tracker: DeliveryTracker, counters: inout GroupCounters) {
        var attempt = 0
        var firstFailure: Date?
        while true {
            attempt += 1
            errorBuffer[0] = 0
            let outcome = plugin.handle(event, error: errorBuffer, capacity: EventScratch.errorCapacity)
            if outcome == DTE_OK {
                counters.handled += 1
                return
            }
            errorBuffer[EventScratch.errorCapacity - 1] = 0
            let reason = String(cString: errorBuffer)
            let now = Date()
            if firstFailure == nil { firstFailure = now }
            if outcome == DTE_RETRY && attempt < options.attempts && isRunning {
                counters.retried += 1
                logger.warning("handler asked for a retry", metadata: [
                    "plugin": "\(plugin.name)", "topic": "\(record.topic)", "partition": "\(record.partition)",
                    "offset": "\(record.offset)", "attempt": "\(attempt)", "error": "\(reason)",
                ])
                Thread.sleep(forTimeInterval: backoff(attempt: attempt))
                continue
            }
            let letter = DeadLetter(outcome: outcome == DTE_RETRY ? .retriesExhausted : .rejected, error: reason,
                                    plugin: plugin.name, pluginVersion: plugin.version, handler: eventName,
                                    attempts: attempt, firstFailure: firstFailure!, lastFailure: now)
            deadLetter(record, letter, tracker, &counters)
            return
        }
    }

    /// Exponential backoff with full jitter, capped.
    func backoff(attempt: Int) -> TimeInterval {
        let ceiling = min(Double(options.backoffMaxMs), Double(options.backoffMs) * pow(2, Double(attempt - 1)))
        return Double.random(in: ceiling / 2...max(ceiling, ceiling / 2 + 0.001)) / 1000
    }

    private func deadLetter(_ record: KafkaRecord, _ letter: DeadLetter, _ tracker: DeliveryTracker, _ counters: inout GroupCounters) {
        counters.deadLettered += 1
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
    }

    func kafkaAssigned(_ partitions: [TopicPartition]) {
        logger.info("partitions assigned", metadata: ["partitions": "\(partitions.map(\.description).joined(separator: ","))"])
    }

    func kafkaRevoked(_ partitions: [TopicPartition]) {
        logger.info("partitions revoked", metadata: ["partitions": "\(partitions.map(\.description).joined(separator: ","))"])
    }
}


/// Hands values to `concurrentPerform` whose safety the caller guarantees.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
