// Delivery accounting for one unit of work, and why such a unit was not delivered.
import Foundation

/// Why a tracked unit of work did not reach Kafka: the producer's answer, or a
/// failure on this side before anything could be queued (a store write, a lookup).
public enum DeliveryFailure: Error, Sendable, CustomStringConvertible {
    case kafka(KafkaError)
    /// A failure outside Kafka: `step` names what failed ("park"), `reason` says why.
    case local(step: String, reason: String)

    /// The Kafka error, if Kafka is what failed.
    public var kafkaError: KafkaError? {
        if case .kafka(let error) = self { return error }
        return nil
    }

    /// Retrying may succeed once the broker answers again; never for a local failure.
    public var isRetriable: Bool { kafkaError?.isRetriable ?? false }

    public var description: String {
        switch self {
        case .kafka(let error): return error.description
        case .local(let step, let reason): return "\(step): \(reason)"
        }
    }
}

/// Counts outstanding deliveries for one unit of work (a consumed event or a
/// batch of them) and remembers the first failure.
public final class DeliveryTracker: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending = 0
    public private(set) var failure: DeliveryFailure?

    public init() {}

    func begin() {
        condition.lock()
        pending += 1
        condition.unlock()
    }

    func finish(_ error: KafkaError?) {
        condition.lock()
        pending -= 1
        if let error, failure == nil { failure = .kafka(error) }
        if pending == 0 { condition.broadcast() }
        condition.unlock()
    }

    /// Waits until every produce registered with this tracker is acknowledged
    /// or failed. Returns the first failure, if any.
    @discardableResult
    public func wait() -> DeliveryFailure? {
        condition.lock()
        while pending > 0 { condition.wait() }
        let result = failure
        condition.unlock()
        return result
    }

    /// Like `wait()`, but gives up after `timeout` seconds.
    /// - Returns: whether every produce finished, and the first failure.
    public func wait(timeout: TimeInterval) -> (finished: Bool, failure: DeliveryFailure?) {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while pending > 0 {
            if !condition.wait(until: deadline) { return (pending == 0, failure) }
        }
        return (true, failure)
    }

    /// Records a failure that happened before anything could be queued.
    public func fail(_ failure: DeliveryFailure) {
        condition.lock()
        if self.failure == nil { self.failure = failure }
        condition.unlock()
    }

    /// Records a produce that could not even be queued.
    public func fail(_ error: KafkaError) { fail(.kafka(error)) }

    /// Forgets an earlier failure so the tracker can be reused.
    public func reset() {
        condition.lock()
        failure = nil
        condition.unlock()
    }
}
