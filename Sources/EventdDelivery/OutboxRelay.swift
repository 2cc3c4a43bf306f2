// Publishes a transactional plugin's outbox through the idempotent producer
// and deletes rows once the broker acknowledged them. A crash between the two
// re-sends rows with the same event ids, which downstream ledgers drop.
//
// Daemons that share a state directory share the outbox: only the holder of
// the store's relay lease (any PluginStore+RelayLease) publishes it, so each row
// goes out once and in commit order; the others stand by and take over when
// the holder stops, dies (`kill -9`: its pid is gone) or stops renewing.
import EventdKafka
import EventdPluginHost
import EventdStore
import Foundation
import Logging

public final class OutboxRelay: @unchecked Sendable {
    /// How long the lease lasts unless renewed (renewed when a third of it is used).
    static let leaseDuration: TimeInterval = 10
    /// How often the holder looks for rows without a local signal (other daemons commit too).
    static let holderPoll: DispatchTimeInterval = .milliseconds(100)
    /// How often a daemon without the lease asks for it.
    static let standbyPoll: TimeInterval = 1

    let plugin: String
    let store: any PluginStore
    let producer: KafkaProducer
    let health: KafkaHealth?
    let logger: Logger
    let ledgerRetention: TimeInterval
    let owner = RelayOwner.current
    private let wake = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var running = true
    private let done = DispatchSemaphore(value: 0)
    private(set) var published = 0
    // The lease as this relay knows it; relay thread only.
    private var leaseExpires: Date?
    private var nextLeaseAttempt = Date.distantPast
    private var standingBehind: String?

    public init(plugin: String, store: any PluginStore, producer: KafkaProducer, health: KafkaHealth?, ledgerRetention: TimeInterval, logger: Logger) {
        self.plugin = plugin
        self.store = store
        self.producer = producer
        self.health = health
        self.ledgerRetention = ledgerRetention
        self.logger = logger.tagged("plugin", plugin)
        let thread = Thread { [self] in
            run()
            done.signal()
        }
        thread.name = "outbox-\(plugin)"
        thread.start()
    }

    /// Rows were committed: publish them soon.
    public func signal() { wake.signal() }

    private var isRunning: Bool { lock.withLock { running } }

    /// Publishes what is left (bounded by `timeout`), gives the lease up and stops.
    public func stop(timeout: TimeInterval = 10) {
        lock.withLock { running = false }
        wake.signal()
        _ = done.wait(timeout: .now() + timeout)
    }

    private func run() {
        var lastPrune = Date.distantPast
        while true {
            let stopping = !isRunning
            let holding = holdsLease()
            // A daemon cut off from the brokers claims no rows: on PostgreSQL its claim would hold
            // back every daemon's follow-ups of this plugin (they go in commit order) for as long as
            // the partition lasts, while the others could send them.
            let sent = holding && health?.degradation == nil ? publishBatch() : 0
            if stopping && sent == 0 {
                if holding {
                    do { try store.releaseRelayLease(owner) } catch { logger.warning("outbox relay lease not released: \(error)") }
                }
                return
            }
            if holding && Date().timeIntervalSince(lastPrune) > 3600 {
                lastPrune = Date()
                if let pruned = try? store.outsideTransactions({ try store.pruneLedger(olderThan: ledgerRetention) }), pruned > 0 {
                    logger.info("idempotency ledger pruned", metadata: ["rows": "\(pruned)"])
                }
            }
            if sent == 0 && !stopping {
                _ = wake.wait(timeout: .now() + (holding ? Self.holderPoll : .milliseconds(Int(Self.standbyPoll * 1000))))
            }
        }
    }

    /// Whether this relay may publish now: takes, renews or keeps the lease.
    private func holdsLease() -> Bool {
        let now = Date()
        if let expires = leaseExpires, expires.timeIntervalSince(now) > Self.leaseDuration * 2 / 3 { return true }
        if leaseExpires == nil && now < nextLeaseAttempt { return false }
        let lease: RelayLease
        do {
            lease = try store.acquireRelayLease(owner, for: Self.leaseDuration, now: now)
        } catch {
            logger.error("outbox relay lease: \(error)")
            nextLeaseAttempt = now.addingTimeInterval(Self.standbyPoll)
            // What this relay holds stays its own until it runs out (with a margin for the clock).
            if let expires = leaseExpires, expires.timeIntervalSince(now) > 1 { return true }
            leaseExpires = nil
            return false
        }
        if lease.held {
            if leaseExpires == nil {
                if let takenOver = lease.takenOver {
                    logger.notice("outbox relay took over publishing this store's outbox", metadata: ["owner": "\(owner.id)", "taken_over": "\(takenOver)"])
                } else {
                    logger.info("outbox relay publishing this store's outbox", metadata: ["owner": "\(owner.id)"])
                }
            }
            leaseExpires = lease.expires
            standingBehind = nil
            return true
        }
        if leaseExpires != nil {
            logger.warning("outbox relay lost its lease; another daemon publishes this outbox now", metadata: ["holder": "\(lease.holder)"])
        } else if standingBehind != lease.holder {
            logger.info("outbox relay standing by: another daemon publishes this outbox", metadata: ["holder": "\(lease.holder)"])
        }
        standingBehind = lease.holder
        leaseExpires = nil
        nextLeaseAttempt = now.addingTimeInterval(Self.standbyPoll)
        return false
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
        // The lease is renewed while the broker is slow to acknowledge (an outage can last minutes).
        var outcome = tracker.wait(timeout: 1)
        while !outcome.finished {
            _ = holdsLease()
            outcome = tracker.wait(timeout: 1)
        }
        if let failure = outcome.failure {
            // Nothing is deleted; the rows go again (same ids) after a pause.
            logger.error("outbox publish failed; retrying", metadata: ["rows": "\(rows.count)", "error": "\(failure)"])
            health?.deliveryFailed(failure, what: "outbox of \(plugin)")
            // Given back before the pause, so that a daemon that reaches the brokers sends them meanwhile.
            do { try store.outsideTransactions { try store.releaseOutboxClaim() } } catch { logger.warning("outbox claim not released: \(error)") }
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
