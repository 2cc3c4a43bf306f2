// What handing a partition's records to its handlers returns, and where a delivery stands.
import CEventdPlugin
import EventdConfig
import EventdKafka
import EventdPluginHost
import EventdRouting
import EventdStore
import Foundation
import Logging

extension GroupConsumer {
    /// What one partition's share of a batch came to.
    public struct BucketResult {
        public internal(set) var counters = GroupCounters()
        var handlers: [HandlerKey: HandlerStats] = [:]
        var deliveryFailure: DeliveryFailure?
        /// The partition stopped at this offset: its record is due (again) at that instant.
        var notDue: (offset: Int64, due: ContinuousClock.Instant)?
        /// With `notDue` for an in-memory retry: where the stopped event's handlers stand.
        var memo: RetryMemo?
        /// Store commits sent for the bucket: durable before its offsets are stored.
        var commits: [(plugin: PluginInstance, pending: PendingCommit)] = []

        /// Each (plugin, event)'s results.
        public var handlerStats: Dictionary<HandlerKey, HandlerStats>.Values { handlers.values }
    }

    /// An event whose partition is paused between two in-memory attempts of one of its handlers.
    struct RetryMemo {
        var offset: Int64
        /// Handlers that finished with it (not handed it again), and the attempts and first failure of the others.
        var done: Set<ObjectIdentifier> = []
        var attempts: [ObjectIdentifier: Int] = [:]
        var firstFailure: [ObjectIdentifier: Date] = [:]
    }

    public struct HandlerKey: Hashable {
        let plugin: ObjectIdentifier
        let event: Int
    }

    /// One (plugin, event)'s results within one bucket.
    public struct HandlerStats {
        public let plugin: PluginInstance
        public let event: String
        public internal(set) var handled = 0
        public internal(set) var rejected = 0
        public internal(set) var exhausted = 0
        public internal(set) var crashed = 0
        public internal(set) var duplicates = 0
        public internal(set) var retries = 0
        public internal(set) var parked = 0
        public internal(set) var latencies: [Duration] = []
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

}

/// One attempt of a transactional plugin's handler.
enum TransactionalAttempt {
    case quarantined, duplicate, outcome(dte_outcome)
}

/// The result of handing one event to one plugin.
public struct HandlerResult: Sendable {
    public enum Outcome: Sendable { case ok, rejected, retriesExhausted, duplicate, crashed, parked, backoff }
    public internal(set) var outcome: Outcome
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
