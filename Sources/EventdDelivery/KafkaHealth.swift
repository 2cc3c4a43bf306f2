// Whether the daemon reaches its brokers. It is degraded from the moment
// librdkafka reports every broker down (or a connection or delivery error is
// confirmed by a failed probe) until a broker answers a metadata request
// again; meanwhile events wait (nothing is dropped or dead-lettered for it).
import EventdKafka
import Foundation
import Logging

public final class KafkaHealth: @unchecked Sendable {
    /// Why and since when the daemon is degraded.
    public struct Degradation: Sendable, Equatable {
        public var reason: String
        public var since: Date
    }

    /// How often the brokers are probed while degraded, and how long one probe may take.
    static let probeInterval: TimeInterval = 1
    public static let probeTimeoutMs: Int32 = 2000

    private let logger: Logger
    private let lock = NSLock()
    private var state: Degradation?
    /// Set by `stop`: the daemon is closing its clients, whose errors then say nothing of the brokers.
    private var stopped = false
    private var probe: (@Sendable () -> KafkaError?)?
    private var timer: DispatchSourceTimer?
    /// Serial: one probe at a time.
    private let queue = DispatchQueue(label: "kafka-health")
    /// Serial, apart from probes (which can take seconds): the changes, in order.
    private let changes = DispatchQueue(label: "kafka-health-changes")
    /// Called after every change (entering or leaving), on `changes`.
    private var onChange: @Sendable (Degradation?) -> Void = { _ in }

    public init(logger: Logger) {
        self.logger = logger
    }

    /// The current degradation, nil while the brokers are reachable.
    public var degradation: Degradation? { lock.withLock { state } }

    /// Starts probing with `probe` (nil: reachable) while degraded; `onChange`
    /// hears of every change (entering or leaving), in order, on a queue of its own.
    public func start(probe: @escaping @Sendable () -> KafkaError?, onChange: @escaping @Sendable (Degradation?) -> Void) {
        lock.withLock {
            self.probe = probe
            self.onChange = onChange
        }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + Self.probeInterval, repeating: Self.probeInterval)
        timer.setEventHandler { [weak self] in
            guard let self, degradation != nil else { return }
            runProbe()
        }
        timer.resume()
        self.timer = timer
    }

    /// Stops probing and stops judging: a clean stop closes the clients and
    /// the embedded cluster, and the errors that follow are no degradation.
    public func stop() {
        timer?.cancel()
        lock.withLock {
            probe = nil
            stopped = true
        }
        // A probe in flight (up to probeTimeoutMs) finishes before the clients it uses are destroyed
        // and the process exits: librdkafka used during exit crashed a stopping daemon (signal 11).
        queue.sync {}
    }

    /// A client-level error from librdkafka (producer or a consumer group's client).
    public func clientError(_ error: KafkaError, client: String) {
        switch error.code {
        case .allBrokersDown, .authentication, .ssl:
            enter("\(client): \(error.message)")
        case .transport, .resolve, .timedOut:
            // One broker of several may be gone while others serve: degraded only if a probe fails too.
            suspect("\(client): \(error.message)")
        default:
            break
        }
    }

    /// A produce the daemon waited for was not acknowledged (a local failure, such as a store's, says nothing of the brokers).
    func deliveryFailed(_ failure: DeliveryFailure, what: String) {
        if let error = failure.kafkaError, error.isRetriable { suspect("\(what): \(error.message)") }
    }

    private func enter(_ reason: String) {
        let entered = lock.withLock { () -> Bool in
            guard state == nil, !stopped else { return false }
            let degradation = Degradation(reason: reason, since: Date())
            state = degradation
            announce(degradation)
            return true
        }
        guard entered else { return }
        logger.error("DEGRADED: Kafka brokers unreachable; events wait until they answer again", metadata: ["reason": "\(reason)"])
    }

    /// Hands a change to `onChange` (called under `lock`, so changes queue in the order they happened).
    /// Never on the caller's thread: a consumer's polling thread reports errors, and the
    /// listener takes locks that a control command may hold while it waits for that thread.
    private func announce(_ change: Degradation?) {
        let onChange = self.onChange
        changes.async { onChange(change) }
    }

    /// Probes now (off the caller's thread); enters the degraded state when the probe fails.
    private func suspect(_ reason: String) {
        guard degradation == nil else { return }
        queue.async { [weak self] in
            guard let self, degradation == nil, let probe = lock.withLock({ self.probe }) else { return }
            if let failure = probe() { enter("\(reason); probe: \(failure.message)") }
        }
    }

    /// On the health queue: one probe; leaves the degraded state when it succeeds.
    private func runProbe() {
        guard let probe = lock.withLock({ self.probe }), probe() == nil else { return }
        let left = lock.withLock { () -> Degradation? in
            guard let left = state else { return nil }
            state = nil
            announce(nil)
            return left
        }
        guard let left else { return }
        logger.notice("RECOVERED: Kafka brokers reachable again; degraded state cleared", metadata: [
            "was": "\(left.reason)", "seconds": "\(Int(Date().timeIntervalSince(left.since).rounded()))",
        ])
    }
}
