// Publishes a transactional plugin's outbox through the idempotent producer
// and deletes rows once the broker acknowledged them. A crash between the two
// re-sends rows with the same event ids, which downstream ledgers drop.
import EventdKafka
import EventdPluginHost
import Foundation
import Logging

final class OutboxRelay: @unchecked Sendable {
    let plugin: String
    let store: StateStore
    let producer: KafkaProducer
    let logger: Logger
    let ledgerRetention: TimeInterval
    private let wake = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var running = true
    private let done = DispatchSemaphore(value: 0)
    private(set) var published = 0

    init(plugin: String, store: StateStore, producer: KafkaProducer, ledgerRetention: TimeInterval, logger: Logger) {
        self.plugin = plugin
        self.store = store
        self.producer = producer
        self.ledgerRetention = ledgerRetention
        var logger = logger
        logger[metadataKey: "plugin"] = .string(plugin)
        self.logger = logger
        let thread = Thread { [self] in
            run()
            done.signal()
        }
        thread.name = "outbox-\(plugin)"
        thread.start()
    }

    /// Rows were committed: publish them soon.
    func signal() { wake.signal() }

    private var isRunning: Bool { lock.withLock { running } }

    /// Publishes what is left (bounded by `timeout`) and stops.
    func stop(timeout: TimeInterval = 10) {
        lock.withLock { running = false }
        wake.signal()
        _ = done.wait(timeout: .now() + timeout)
    }

    private func run() {
        var lastPrune = Date.distantPast
        while true {
            let stopping = !isRunning
            let sent = publishBatch()
            if stopping && sent == 0 { return }
            if Date().timeIntervalSince(lastPrune) > 3600 {
                lastPrune = Date()
                if let pruned = try? store.outsideTransactions({ try store.pruneLedger(olderThan: ledgerRetention) }), pruned > 0 {
                    logger.info("idempotency ledger pruned", metadata: ["rows": "\(pruned)"])
                }
            }
            if sent == 0 && !stopping { _ = wake.wait(timeout: .now() + .milliseconds(200)) }
        }
    }

    /// Publishes up to 500 rows; returns how many were acknowledged and removed.
    private func publishBatch() -> Int {
        let rows: [OutboxRecord]
        do {
            rows = try store.outsideTransactions { try store.outbox(limit: 500) }
        } catch {
            logger.error("outbox read failed: \(error)")
            Thread.sleep(forTimeInterval: 1)
            return 0
        }
        guard let last = rows.last else { return 0 }
        let tracker = DeliveryTracker()
        for row in rows {
            do {
                try producer.produce(topic: row.topic, key: row.key, value: row.value,
                                     headers: row.headers.map { OutgoingHeader($0.name, $0.value) }, tracker: tracker)
            } catch {
                tracker.fail(error)
                break
            }
        }
        if let failure = tracker.wait() {
            // Nothing is deleted; the rows go again (same ids) after a pause.
            logger.error("outbox publish failed; retrying", metadata: ["rows": "\(rows.count)", "error": "\(failure)"])
            Thread.sleep(forTimeInterval: 1)
            return 0
        }
        do {
            try store.outsideTransactions { try store.deleteOutbox(through: last.seq) }
        } catch {
            logger.error("outbox cleanup failed: \(error)")
        }
        lock.withLock { published += rows.count }
        return rows.count
    }
}
