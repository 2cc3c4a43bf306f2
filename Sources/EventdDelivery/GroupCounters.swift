// What a consumer group and its plugins counted: totals for status, stats and metrics.
import Foundation

/// Counters of one group, updated by its polling thread.
public struct GroupCounters: Sendable, Equatable {
    public var consumed = 0, handled = 0, skipped = 0, retried = 0, deadLettered = 0, redelivered = 0
    /// Deliveries skipped because the idempotency ledger had their event id.
    public var duplicates = 0
    /// Events put on a delay tier topic (after failing, or behind an earlier event of their key).
    public var parked = 0
    /// Dead letters by outcome (rejected, retries-exhausted, malformed, unknown-event, oversized).
    public var deadLetteredBy: [String: Int] = [:]

    public init() {}

    public mutating func add(_ other: GroupCounters) {
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

/// Counters of one plugin within one group.
public struct PluginCounters: Sendable, Equatable {
    public var handled = 0, failed = 0, duplicates = 0, retries = 0
    /// Put on a delay tier (after failing, or behind an earlier event of its key).
    public var parked = 0
    public var latencyTotal = Duration.zero, latencyMax = Duration.zero

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
