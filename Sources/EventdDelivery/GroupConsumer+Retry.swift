// Non-blocking retries: a failed event is parked on a delay tier topic
// (`<topic>.retry.<tier>`) and its source offset committed; the group reads
// its tier topics too, hands a record back to the one handler that failed it
// once it is due, and pauses (never sleeps) a tier partition whose next record
// is not due yet. Handlers that keep per-key order park later events of a
// parked key behind it, in order, and release them after it.
import CEventdPlugin
import EventdConfig
import EventdKafka
import EventdPluginHost
import EventdRouting
import EventdStore
import Foundation
import Logging

extension GroupConsumer {
    /// Puts `record` on the tier `parked.tier` of `policy`; for an ordered
    /// event the plugin's `parked` row is written first. A failure here is a
    /// delivery failure: the partition is read again, nothing is lost.
    func park(_ record: some RecordFields, _ parked: ParkedEvent, plugin: PluginInstance, policy: RetryPolicy,
              tracker: DeliveryTracker, counters: inout GroupCounters) {
        var parked = parked
        let tier = policy.tiers[parked.tier]
        parked.dueMs = Int64(Date().timeIntervalSince1970 * 1000) + Int64(tier.delayMs)
        do {
            if parked.ordered, let key = record.keyBytes {
                try plugin.context.state.park(group: group, topic: record.topic, key: key, partition: record.partition, offset: record.offset)
                parkedKeys.insert(plugin, topic: record.topic, key: key)
            }
            try tiers.park(record, parked, tier: tier, tracker: tracker)
        } catch {
            logger.critical("cannot park an event on its retry tier; the partition is read again: \(error)", metadata: [
                "topic": "\(record.topic)", "partition": "\(record.partition)", "offset": "\(record.offset)",
            ])
            tracker.fail(.local(step: "park", reason: "\(error)"))
            return
        }
        counters.parked += 1
        counters.retried += 1
        logger.warning(parked.behind ? "event parked behind an earlier event of its key" : "event parked for a later retry", metadata: ([
            "plugin": "\(plugin.name)", "topic": "\(record.topic)", "partition": "\(record.partition)", "offset": "\(record.offset)",
            "tier": "\(tier.name)", "attempts": "\(parked.attempts)", "error": "\(parked.lastError)",
        ] as Logger.Metadata).traced(record))
    }

    /// For a handler that keeps per-key order: parks a source event behind an
    /// earlier parked event of its key. - Returns: whether it was parked.
    func parkBehindEarlier(_ record: KafkaRecord, plugin: PluginInstance, event: String, eventID: () -> String, policy: RetryPolicy,
                           parked snapshot: inout ParkedSnapshot, tracker: DeliveryTracker, counters: inout GroupCounters) -> Bool {
        guard !snapshot.empty, policy.keepKeyOrder, !policy.tiers.isEmpty, let key = record.key,
              snapshot.mayContain(plugin, topic: { record.topic }, key: key) else { return false }
        let store = plugin.context.state
        let topic = record.topic
        let keyBytes = Array(key)
        let state: ParkState
        do {
            state = try store.parkState(group: group, topic: topic, key: keyBytes, partition: record.partition, offset: record.offset)
        } catch {
            tracker.fail(.local(step: "parked-key lookup", reason: "\(error)"))
            return true
        }
        // Parked itself: read again after a crash; it goes back to waiting (a duplicate tier record is skipped later).
        guard state.hasEarlier || state.isParked else {
            if state.rows == 0 {
                parkedKeys.remove(plugin, topic: topic, key: keyBytes)
                snapshot.remove(plugin, topic: topic, key: keyBytes)
            }
            return false
        }
        let parked = ParkedEvent(group: group, plugin: plugin.name, handler: event, eventID: eventID(), tier: 0, behind: true,
                                 ordered: true, attempts: 0, firstFailure: nil, lastError: "waiting behind an earlier event of its key",
                                 dueMs: 0)
        park(record, parked, plugin: plugin, policy: policy, tracker: tracker, counters: &counters)
        return true
    }

    /// The parked keys of this group's ordered plugins, for one partition's share of a batch.
    func parkedSnapshot(_ plan: RetryPlan) -> ParkedSnapshot {
        parkedKeys.snapshot(plan.orderedPlugins) { plugin in
            do { return try plugin.context.state.parkedKeys(group: group) } catch {
                logger.error("cannot read parked keys; keyed events wait until the store answers: \(error)",
                             metadata: ["plugin": "\(plugin.name)"])
                throw error
            }
        }
    }

    /// Handles one tier partition's records of a batch, in order, up to the first that is not due.
    func processTier(_ batch: KafkaRecordBatch, indices: [Int], routes: RouteTable<PluginInstance>, plan: RetryPlan,
                     memo: RetryMemo?, call: DeliveryCall, result: inout BucketResult) {
        let tracker = call.tracker
        let groupBytes = Array(group.utf8)
        for i in indices {
            let record = batch[i]
            // Tier topics are shared by every group reading the source topic: this group's records only.
            guard case .some(.some(let owner)) = record.header(ParkedEvent.prefix + "group"), owner.elementsEqual(groupBytes) else {
                continue
            }
            let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
            if case .some(.some(let due)) = record.header(ParkedEvent.prefix + "due"),
               let dueMs = Int64(String(decoding: due, as: UTF8.self)), dueMs > nowMs {
                result.notDue = (record.offset, .now + .milliseconds(dueMs - nowMs))
                return
            }
            result.counters.consumed += 1
            let copied = CopiedRecord(record)
            let original = ParkedEvent.original(of: copied)
            guard let parked = ParkedEvent(copied) else {
                deadLetter(original, DeadLetter(outcome: .malformed, error: "record on a retry tier without its x-retry-* headers",
                                                attempts: 0, firstFailure: Date(), lastFailure: Date()), tracker, &result.counters)
                continue
            }
            redeliver(original, parked, routes: routes, plan: plan, memo: memo.flatMap { $0.offset == record.offset ? $0 : nil },
                      tierOffset: record.offset, call: call, result: &result)
            if result.notDue != nil { return }
        }
    }

    /// Hands a due tier record back to the handler that parked it.
    private func redeliver(_ original: CopiedRecord, _ parked: ParkedEvent, routes: RouteTable<PluginInstance>, plan: RetryPlan,
                           memo: RetryMemo?, tierOffset: Int64, call: DeliveryCall, result: inout BucketResult) {
        let tracker = call.tracker
        guard let topic = routes.topic(original.topic), let event = routes.catalog.event(named: parked.handler),
              let plugin = routes.targets(topic: topic, event: event).first(where: { $0.name == parked.plugin }) else {
            let now = Date()
            deadLetter(original, DeadLetter(outcome: .retriesExhausted,
                                            error: "plugin '\(parked.plugin)' no longer handles '\(parked.handler)' from '\(original.topic)' in this group; last error: \(parked.lastError)",
                                            plugin: parked.plugin, handler: parked.handler, attempts: parked.attempts,
                                            firstFailure: parked.firstFailure ?? now, lastFailure: now), tracker, &result.counters)
            return
        }
        let policy = plan.policy(plugin, event: event.index)
        let statsKey = HandlerKey(plugin: ObjectIdentifier(plugin), event: event.index)
        if parked.ordered, let key = original.keyBytes {
            let state: ParkState
            do {
                state = try plugin.context.state.parkState(group: group, topic: original.topic, key: key,
                                                           partition: original.partition, offset: original.offset)
            } catch {
                tracker.fail(.local(step: "parked-key lookup", reason: "\(error)"))
                return
            }
            guard state.isParked else {
                // Finished already: a second tier record of one event (parked again after a crash).
                result.counters.duplicates += 1
                result.handlers[statsKey, default: HandlerStats(plugin: plugin, event: event.name)].duplicates += 1
                return
            }
            if state.hasEarlier && !policy.tiers.isEmpty {
                var behind = parked
                behind.tier = 0
                behind.behind = true
                behind.lastError = parked.behind ? parked.lastError : "waiting behind an earlier event of its key"
                park(original, behind, plugin: plugin, policy: policy, tracker: tracker, counters: &result.counters)
                result.handlers[statsKey, default: HandlerStats(plugin: plugin, event: event.name)].parked += 1
                return
            }
        }
        // Waiting behind another event is not a failure: such an event gets the full in-memory attempts.
        let pluginID = ObjectIdentifier(plugin)
        let ladder = Ladder(attempts: parked.behind ? nil : 1, nextTier: parked.behind ? 0 : parked.tier + 1,
                            attemptsBefore: parked.attempts, firstFailure: memo?.firstFailure[pluginID] ?? parked.firstFailure,
                            holdsParkRow: parked.ordered, priorAttempts: memo?.attempts[pluginID] ?? 0)
        let start = ContinuousClock.now
        let outcome = EventScratch.with(original, event: event, group: groupCName, id: parked.eventID) { cEvent, errorBuffer in
            handle(Delivery(record: original, event: cEvent, errorBuffer: errorBuffer, plugin: plugin, eventName: event.name,
                            policy: policy, ladder: ladder, started: start, pausing: true), call: call, counters: &result.counters)
        }
        if outcome.outcome == .backoff {
            // A released event's in-memory attempts: the tier partition pauses at its record between them.
            var next = memo ?? RetryMemo(offset: tierOffset)
            next.attempts[pluginID] = outcome.attempts
            next.firstFailure[pluginID] = outcome.firstFailure
            result.memo = next
            result.notDue = (tierOffset, .now + .milliseconds(Int(outcome.retryAfter * 1000)))
        }
        result.handlers[statsKey, default: HandlerStats(plugin: plugin, event: event.name)].record(outcome, latency: ContinuousClock.now - start)
    }

    /// Pauses a partition at `offset` until `due` (polling thread).
    func delay(_ tp: TopicPartition, at offset: Int64, until due: ContinuousClock.Instant) {
        logger.debug("partition waits for its next record (a retry tier, or between in-memory attempts)", metadata: [
            "topic": "\(tp.topic)", "partition": "\(tp.partition)", "offset": "\(offset)", "in": "\(due - .now)",
        ])
        consumer.setPaused(true, [tp])
        do { try consumer.seek(tp, to: offset) } catch { logger.error("seek on a retry tier failed: \(error)") }
        delayed[tp] = due
    }

    /// Resumes the partitions whose next record is due (polling thread).
    func resumeDuePartitions() {
        guard !delayed.isEmpty else { return }
        let now = ContinuousClock.now
        let due = delayed.filter { $0.value <= now }.map(\.key)
        guard !due.isEmpty else { return }
        for tp in due { delayed[tp] = nil }
        let resume = due.filter { !isAdminPaused($0) }
        if !resume.isEmpty { consumer.setPaused(false, resume) }
    }
}
