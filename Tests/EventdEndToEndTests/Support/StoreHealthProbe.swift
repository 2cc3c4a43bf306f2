// What a daemon on the PostgreSQL backend says about its store (status --json, the
// devtrip_eventd_store_degraded gauge, STATUS=), and the tx-counter fixture's effects
// checked in the shared database once its stream is through.
import Foundation
import Testing

struct StoreHealthProbe {
    let daemon: DaemonUnderTest
    let notify: NotifySocket
    let metricsPort: Int

    init(_ daemon: DaemonUnderTest, notify: NotifySocket) throws {
        guard let port = daemon.metricsPort else { throw HarnessError("the daemon logs no metrics URL (listen = \"127.0.0.1:0\")") }
        self.daemon = daemon
        self.notify = notify
        metricsPort = port
    }

    func gauge() throws -> Double? {
        Scrape(try HTTP.get(port: metricsPort, path: "/metrics").1).value("devtrip_eventd_store_degraded", [:])
    }

    /// `status`'s degraded object, nil while healthy.
    func degraded() throws -> [String: Any]? {
        let result = try Eventctl.run(["status", "--json"], socket: daemon.socket).json()["result"] as? [String: Any]
        return result?["degraded"] as? [String: Any]
    }

    /// Waits for status, gauge and STATUS= to say degraded. - Returns: status's degraded object.
    @discardableResult
    func waitDegraded(timeout: TimeInterval = 20, notifyTimeout: TimeInterval = 5) throws -> [String: Any] {
        var reported: [String: Any] = [:]
        try Harness.waitUntil("status to report degraded", timeout: timeout, poll: 0.2) {
            reported = try degraded() ?? [:]
            return !reported.isEmpty
        }
        try Harness.waitUntil("the gauge to say degraded", timeout: 5, poll: 0.1) { try gauge() == 1 }
        try Harness.waitUntil("STATUS= to say degraded", timeout: notifyTimeout, poll: 0.1) {
            notify.states.last { $0.hasPrefix("STATUS=") }?.contains("DEGRADED") == true
        }
        return reported
    }

    /// Waits for status, gauge and STATUS= to clear.
    func waitCleared(notifyTimeout: TimeInterval = 5) throws {
        try Harness.waitUntil("the degraded state to clear", timeout: 30, poll: 0.25) { try degraded() == nil }
        try Harness.waitUntil("the gauge to clear", timeout: 5, poll: 0.1) { try gauge() == 0 }
        try Harness.waitUntil("STATUS= to clear", timeout: notifyTimeout, poll: 0.1) {
            notify.states.last { $0.hasPrefix("STATUS=") }?.contains("DEGRADED") == false
        }
    }
}

extension PostgresServer {
    /// Waits for tx-counter's ledger to hold `count` events and its outbox to drain, stops `daemon`,
    /// then expects each event (ids `<idPrefix><n>`) handled once, every follow-up, nothing dead-lettered.
    func expectTxCounterHandledOnce(count: Int, idPrefix: String, daemon: DaemonUnderTest, broker: String) throws {
        try Harness.waitUntil("every event handled and published", timeout: 90, poll: 0.5) {
            try query("SELECT (SELECT count(*) FROM eventd_tx_counter.ledger), (SELECT count(*) FROM eventd_tx_counter.outbox)")
                == [["\(count)", "0"]]
        }
        #expect(daemon.child.stop(SIGTERM) == 0)
        let state = try pluginState("tx-counter")
        let seen = state.filter { $0.key.hasPrefix("seen/\(idPrefix)") }
        #expect(seen.count == count, "every event handled")
        #expect(seen.filter { $0.value != "1" }.isEmpty, "state effects applied more than once")
        #expect(state["total"] == String(count), "the running total counts each event once")
        #expect(Set(try Kcat.consumeAll(broker, topic: "counter-events").map(\.value)).count == count, "every follow-up")
        #expect(try Kcat.consumeAll(broker, topic: "mission-events.dlq").isEmpty, "nothing dead-lettered")
        #expect(daemon.child.log.contains("RECOVERED: state stores reachable again"))
    }
}
