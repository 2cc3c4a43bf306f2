// One handler and one event: the transaction, crash quarantine, ledger, deadline,
// in-memory retries, parking on a delay tier, and dead-lettering.
import CEventdPlugin
import EventdConfig
import EventdKafka
import EventdPluginHost
import EventdRouting
import EventdStore
import Foundation
import Logging

/// One event on its way to one handler, and where it stands on its retry ladder.
struct Delivery<Record: RecordFields> {
    var record: Record
    /// The C event the plugin gets, and the buffer its reason is written to.
    var event: UnsafePointer<dte_event>
    var errorBuffer: UnsafeMutablePointer<CChar>
    /// Unowned: the route table the caller holds keeps the instance alive for the call (no retain per event).
    unowned(unsafe) var plugin: PluginInstance
    /// The canonical event name of the handler.
    var eventName: String
    var policy: RetryPolicy
    var ladder = GroupConsumer.Ladder()
    /// "topic/partition/offset" of the dead letter an admin's replay came from.
    var replayedFrom: String? = nil
    /// When the dispatcher took the event up (the first attempt's latency start).
    var started: ContinuousClock.Instant? = nil
    /// Between in-memory attempts the partition pauses (the caller's loop) instead of this thread sleeping.
    var pausing = false
}

extension GroupConsumer {
    /// Runs one handler with in-memory retries; then parks the event on its
    /// next delay tier, or dead-letters it (on reject, or when no tier is left).
    /// - Parameter call: the partition batch's side of the handler calls (follow-ups wait on its tracker).
    /// - Returns: the final outcome.
    func handle<Record>(_ delivery: Delivery<Record>, call: DeliveryCall, counters: inout GroupCounters) -> HandlerResult {
        let (record, event, plugin, eventName) = (delivery.record, delivery.event, delivery.plugin, delivery.eventName)
        let (errorBuffer, policy, ladder, replayedFrom) = (delivery.errorBuffer, delivery.policy, delivery.ladder, delivery.replayedFrom)
        let (started, pausing, tracker) = (delivery.started, delivery.pausing, call.tracker)
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
        /// The event as this attempt's call gets it: which attempt it is and how many the policy still grants
        /// (in memory unless the daemon is stopping without pausing, then the tiers; a replay gets none).
        var current = event.pointee
        while true {
            attempt += 1
            errorBuffer[0] = 0
            let inMemoryLeft = pausing || isRunning ? max(0, attempts - attempt) : 0
            current.attempt = UInt32(clamping: ladder.attemptsBefore + attempt)
            current.attempts_left = UInt32(clamping: inMemoryLeft + (replayedFrom == nil ? max(0, policy.tiers.count - ladder.nextTier) : 0))
            var outcome: dte_outcome
            if transactional {
                do {
                    /// One attempt inside the open transaction or savepoint: the ledger check, the call, the ledger entry.
                    func attemptInTransaction() throws -> (commit: Bool, result: dte_outcome?) {
                        if !eventID.isEmpty, try store.isHandled(group: group, eventID: eventID) { return (false, nil) }
                        let start = attempt == ladder.priorAttempts + 1 ? started ?? .now : .now
                        call.transaction = (plugin.name, store)
                        defer { call.transaction = nil }
                        let outcome = plugin.handle(&current, call: call, error: errorBuffer, capacity: EventScratch.errorCapacity)
                        if overDeadline(outcome, since: start) { return (false, DTE_RETRY) }
                        guard outcome == DTE_OK else {
                            // A state call failed: when the database is unreachable this throws (the store's failure, not the event's).
                            if call.storeBusy { _ = try store.isHandled(group: group, eventID: eventID) }
                            return (false, outcome)
                        }
                        if !eventID.isEmpty { try store.markHandled(group: group, eventID: eventID) }
                        return (true, outcome)
                    }
                    let result: TransactionalAttempt
                    if let batch = call.batch, try batch.groups(plugin) {
                        // Group commit: a savepoint in the batch's transaction, committed with the batch.
                        result = try store.savepoint(attemptInTransaction).map(TransactionalAttempt.outcome) ?? .duplicate
                    } else {
                        result = try store.outsideTransactions {
                            if starts == 0 {
                                // Marked under the store's lock right before the plugin gets the event, so a marker a
                                // crash leaves names the event the plugin held, not one waiting for the lock.
                                starts = (try? store.startDelivery(group: group, topic: record.topic, partition: record.partition,
                                                                   offset: record.offset, inherited: call.batch?.inherited(plugin) ?? 0)) ?? 1
                                if starts > options.crashLimit { return .quarantined }
                            }
                            let outcome = try store.transaction(attemptInTransaction)
                            if outcome == DTE_OK { outboxCommitted(plugin) }
                            return outcome.map(TransactionalAttempt.outcome) ?? .duplicate
                        }
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
                        duplicateLog.skipped(logger, group: group, plugin: plugin.name, eventID: eventID, topic: record.topic,
                                             partition: record.partition, offset: record.offset)
                        return finished(HandlerResult(outcome: .duplicate, attempts: attempt))
                    case .outcome(let result):
                        outcome = result
                    }
                } catch let error as StoreError where error.isUnavailable {
                    // The database is unreachable (StoreHealth reports the daemon degraded): no attempt of the
                    // event was made; its partition waits, as long as it takes, and nothing is dead-lettered.
                    logger.warning("state store unreachable; the partition waits", metadata: [
                        "plugin": "\(plugin.name)", "topic": "\(record.topic)", "partition": "\(record.partition)", "error": "\(error)",
                    ])
                    attempt -= 1
                    if pausing {
                        return HandlerResult(outcome: .backoff, attempts: attempt, retried: retried, retryAfter: 1, firstFailure: firstFailure)
                    }
                    Thread.sleep(forTimeInterval: 1)
                    if isRunning { continue }
                    writeError("state store: \(error)", errorBuffer)
                    outcome = DTE_RETRY
                } catch {
                    // The store failed, not the event: a transient failure.
                    writeError("state store: \(error)", errorBuffer)
                    outcome = DTE_RETRY
                }
            } else {
                let start = attempt == ladder.priorAttempts + 1 ? started ?? .now : .now
                outcome = plugin.handle(&current, call: call, error: errorBuffer, capacity: EventScratch.errorCapacity)
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
                logger.warning("handler asked for a retry; its partition waits", metadata: ([
                    "plugin": "\(plugin.name)", "topic": "\(record.topic)", "partition": "\(record.partition)",
                    "offset": "\(record.offset)", "attempt": "\(ladder.attemptsBefore + attempt)", "error": "\(reason)",
                ] as Logger.Metadata).traced(record))
                return HandlerResult(outcome: .backoff, attempts: attempt, finished: returnedAt, retried: retried + 1,
                                     retryAfter: backoff(attempt: attempt, policy), firstFailure: firstFailure)
            }
            if outcome == DTE_RETRY && attempt < attempts && isRunning {
                counters.retried += 1
                retried += 1
                logger.warning("handler asked for a retry", metadata: ([
                    "plugin": "\(plugin.name)", "topic": "\(record.topic)", "partition": "\(record.partition)",
                    "offset": "\(record.offset)", "attempt": "\(ladder.attemptsBefore + attempt)", "error": "\(reason)",
                ] as Logger.Metadata).traced(record))
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


    /// Exponential backoff with full jitter, capped.
    func backoff(attempt: Int, _ policy: RetryPolicy) -> TimeInterval {
        let ceiling = min(Double(policy.backoffMaxMs), Double(policy.backoffMs) * pow(2, Double(attempt - 1)))
        return Double.random(in: ceiling / 2...max(ceiling, ceiling / 2 + 0.001)) / 1000
    }

    func deadLetter(_ record: some RecordFields, _ letter: DeadLetter, _ tracker: DeliveryTracker, _ counters: inout GroupCounters) {
        counters.deadLettered += 1
        counters.deadLetteredBy[letter.outcome.rawValue, default: 0] += 1
        logger.error("event dead-lettered", metadata: ([
            "topic": "\(record.topic)", "partition": "\(record.partition)", "offset": "\(record.offset)",
            "outcome": "\(letter.outcome.rawValue)", "plugin": "\(letter.plugin ?? "-")", "error": "\(letter.error)",
        ] as Logger.Metadata).traced(record))
        do {
            try deadLetters.publish(record, group: group, letter: letter, tracker: tracker)
        } catch {
            // Counted as a delivery failure: the partition is re-read, the event is not lost.
            logger.critical("dead-letter produce failed: \(error)")
            tracker.fail(error)
        }
    }

}

extension GroupConsumer {
    /// Hands a dead letter back to `plugin`'s handler of `event` (an admin's replay), outside the
    /// polling thread: one delivery under `policy`, without parking; a failure is dead-lettered
    /// again, its headers naming `replayedFrom`.
    /// - Returns: how the handler finished with it, or the produce that was not acknowledged.
    public func replay(_ record: CopiedRecord, plugin: PluginInstance, event: EventName, eventID: String,
                       policy: RetryPolicy, replayedFrom: String) -> Result<HandlerResult.Outcome, DeliveryFailure> {
        let call = DeliveryCall(tracker: DeliveryTracker())
        var counters = GroupCounters()
        let result = EventScratch.with(record, event: event, group: groupCName, id: eventID) { cEvent, errorBuffer in
            handle(Delivery(record: record, event: cEvent, errorBuffer: errorBuffer, plugin: plugin, eventName: event.name,
                            policy: policy, replayedFrom: replayedFrom), call: call, counters: &counters)
        }
        if let failure = call.tracker.wait() { return .failure(failure) }
        return .success(result.outcome)
    }
}
