// A debug line for each event skipped as a duplicate (its id already in the
// consumer group's idempotency ledger), rate-limited: a re-published batch
// of thousands of ids must not flood the journal. Lines left out within a
// second are counted in the next line written.
import Foundation
import Logging

final class DuplicateLog: @unchecked Sendable {
    /// Lines written per second and consumer group at most.
    static let linesPerSecond = 10
    private let lock = NSLock()
    private var windowStart = ContinuousClock.now
    private var written = 0
    private var leftOut = 0

    /// Notes one skipped event; writes its debug line unless the second's lines are used up.
    func skipped(_ logger: Logger, group: String, plugin: String, eventID: String, topic: String, partition: Int32, offset: Int64) {
        guard logger.logLevel <= .debug else { return }
        let now = ContinuousClock.now
        let omitted: Int? = lock.withLock {
            if now - windowStart >= .seconds(1) { (windowStart, written) = (now, 0) }
            guard written < Self.linesPerSecond else {
                leftOut += 1
                return nil
            }
            written += 1
            defer { leftOut = 0 }
            return leftOut
        }
        guard let omitted else { return }
        logger.debug("duplicate skipped: the consumer group's ledger already holds this event id", metadata: [
            "group": "\(group)", "plugin": "\(plugin)", "event_id": "\(eventID)", "topic": "\(topic)",
            "partition": "\(partition)", "offset": "\(offset)", "duplicates_not_logged_before": "\(omitted)",
        ])
    }
}
