// Routing each record of a partition's share of a batch to its handlers, in order.
import CEventdPlugin
import EventdConfig
import EventdKafka
import EventdPluginHost
import EventdRouting
import Foundation
import Logging

extension GroupConsumer {
    /// Handles one partition's records of a batch, in order.
    func process(_ batch: KafkaRecordBatch, indices: [Int], routes: RouteTable<PluginInstance>, plan: RetryPlan,
                 memo: RetryMemo?, tracker: DeliveryTracker) -> BucketResult {
        var result = BucketResult()
        let call = DeliveryCall(tracker: tracker)
        // A bucket is one partition, so one topic: look it up once.
        let topic = routes.topic(batch[indices[0]].topicBytes)
        if topic == nil, plan.tierTopics[batch[indices[0]].topic] != nil {
            processTier(batch, indices: indices, routes: routes, plan: plan, memo: memo, call: call, result: &result)
            metrics.record(group: group, topic: batch[indices[0]].topic, result)
            return result
        }
        let first = batch[indices[0]], last = batch[indices[indices.count - 1]]
        let commit = BatchCommit(group: group, topic: first.topic, partition: first.partition, offsets: first.offset...last.offset,
                                 eventIDs: { indices.compactMap { EventResolver.eventID(batch[$0]) } })
        call.batch = commit
        var scratch = EventScratch()
        defer { scratch.free() }
        var seenIDs = BatchIDSet(capacity: indices.count)
        var parked = parkedSnapshot(plan)
        // Current for the whole batch: each plugin call finds it so and sets nothing per event.
        HandlerCall.with(call) {
            for i in indices {
                result.counters.consumed += 1
                let record = batch[i]
                let handed = memo.flatMap { $0.offset == record.offset ? $0 : nil }
                dispatch(record, topic: topic, routes: routes, plan: plan, scratch: &scratch, seenIDs: &seenIDs,
                         parked: &parked, memo: handed, call: call, result: &result)
                if result.notDue != nil { break }
            }
        }
        // On disk before the caller stores any offset of this batch (it waits for `commits`); if it is not,
        // the partition is read again.
        do { try commit.finish() } catch {
            commit.rollback()
            logger.error("state store commit failed; the partition is read again", metadata: [
                "topic": "\(first.topic)", "partition": "\(first.partition)", "error": "\(error)",
            ])
            tracker.fail(.local(step: "store commit", reason: "\(error)"))
        }
        result.commits = commit.commits
        // Metrics are recorded here, in parallel across partitions, not on the polling thread.
        metrics.record(group: group, topic: batch[indices[0]].topic, result)
        return result
    }

    /// Routes one record and runs its handlers; dead-letters what cannot be handled.
    func dispatch(_ record: KafkaRecord, topic: Int?, routes: RouteTable<PluginInstance>, plan: RetryPlan,
                          scratch: inout EventScratch, seenIDs: inout BatchIDSet, parked: inout ParkedSnapshot,
                          memo: RetryMemo?, call: DeliveryCall, result: inout BucketResult) {
        let tracker = call.tracker
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
                if !parked.empty { call.batch?.release(unless: plugin) }
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
                let delivery = Delivery(record: record, event: event, errorBuffer: errorBuffer, plugin: plugin,
                                        eventName: resolved.event.name, policy: policy, ladder: ladder, started: start, pausing: true)
                let outcome = handle(delivery, call: call, counters: &result.counters)
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
                if outcome.outcome == .parked, delivery.policy.keepKeyOrder, let key = record.key {
                    // Later events of its key in this batch wait behind it.
                    parked.insert(plugin, topic: record.topic, key: Array(key))
                }
                let latency = (outcome.finished ?? .now) - start
                let key = HandlerKey(plugin: ObjectIdentifier(plugin), event: resolved.event.index)
                result.handlers[key, default: HandlerStats(plugin: plugin, event: resolved.event.name)].record(outcome, latency: latency)
            }
        }
    }

}
