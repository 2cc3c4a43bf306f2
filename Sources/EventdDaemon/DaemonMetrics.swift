// The daemon's metrics, through swift-metrics on a Prometheus registry owned
// by this daemon (not the process-global MetricsSystem, so several daemons
// in one test process keep apart).
import CoreMetrics
import EventdDelivery
import EventdKafka
import Foundation

import Prometheus

final class DaemonMetrics: DeliveryMetrics, @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    private let lock = NSLock()
    private var counters: [String: CoreMetrics.Counter] = [:]
    private var timers: [String: CoreMetrics.Timer] = [:]
    private var gauges: [String: CoreMetrics.Gauge] = [:]
    static let prefix = "devtrip_eventd_"

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        let latencyBuckets: [Duration] = [
            .microseconds(10), .microseconds(50), .microseconds(100), .microseconds(500), .milliseconds(1),
            .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500),
            .seconds(1), .seconds(5), .seconds(30),
        ]
        factory.durationHistogramBuckets[Self.prefix + "handler_latency_seconds"] = latencyBuckets
        self.factory = factory
    }

    /// The metric of `name` and `dimensions` from `cache`, made by `make` the first time.
    private func metric<M>(_ cache: ReferenceWritableKeyPath<DaemonMetrics, [String: M]>, _ name: String,
                           _ dimensions: [(String, String)], _ make: (String) -> M) -> M {
        let key = name + "|" + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
        return lock.withLock {
            if let existing = self[keyPath: cache][key] { return existing }
            let made = make(Self.prefix + name)
            self[keyPath: cache][key] = made
            return made
        }
    }

    func counter(_ name: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        metric(\.counters, name, dimensions) { CoreMetrics.Counter(label: $0, dimensions: dimensions, factory: factory) }
    }

    func timer(_ name: String, _ dimensions: [(String, String)]) -> CoreMetrics.Timer {
        metric(\.timers, name, dimensions) { CoreMetrics.Timer(label: $0, dimensions: dimensions, factory: factory) }
    }

    func gauge(_ name: String, _ dimensions: [(String, String)]) -> CoreMetrics.Gauge {
        metric(\.gauges, name, dimensions) { CoreMetrics.Gauge(label: $0, dimensions: dimensions, factory: factory) }
    }

    /// Records one batch's results of one partition.
    func record(group: String, topic: String, _ result: GroupConsumer.BucketResult) {
        let c = result.counters
        if c.consumed > 0 { counter("events_consumed_total", [("group", group), ("topic", topic)]).increment(by: c.consumed) }
        if c.skipped > 0 { counter("events_skipped_total", [("group", group), ("topic", topic)]).increment(by: c.skipped) }
        for (outcome, count) in c.deadLetteredBy where count > 0 {
            counter("events_dead_lettered_total", [("group", group), ("topic", topic), ("outcome", outcome)]).increment(by: count)
        }
        for stats in result.handlerStats {
            let dims = [("group", group), ("plugin", stats.plugin.name), ("event", stats.event)]
            if stats.handled > 0 { counter("events_handled_total", dims).increment(by: stats.handled) }
            if stats.rejected > 0 { counter("handler_failures_total", dims + [("outcome", "rejected")]).increment(by: stats.rejected) }
            if stats.exhausted > 0 { counter("handler_failures_total", dims + [("outcome", "retries-exhausted")]).increment(by: stats.exhausted) }
            if stats.retries > 0 { counter("handler_retries_total", dims).increment(by: stats.retries) }
            if stats.parked > 0 { counter("events_parked_total", dims).increment(by: stats.parked) }
            if stats.crashed > 0 { counter("handler_failures_total", dims + [("outcome", "handler-crashed")]).increment(by: stats.crashed) }
            if stats.duplicates > 0 {
                counter("duplicates_skipped_total", [("group", group), ("plugin", stats.plugin.name)]).increment(by: stats.duplicates)
            }
            let latency = timer("handler_latency_seconds", [("plugin", stats.plugin.name), ("event", stats.event)])
            for sample in stats.latencies {
                latency.recordNanoseconds(sample.components.seconds * 1_000_000_000 + sample.components.attoseconds / 1_000_000_000)
            }
        }
    }

    func redelivered(group: String, topic: String, count: Int) {
        counter("events_redelivered_total", [("group", group), ("topic", topic)]).increment(by: count)
    }

    func rebalance(group: String) { counter("rebalances_total", [("group", group)]).increment() }

    func reload(plugin: String, succeeded: Bool) {
        counter("plugin_reloads_total", [("plugin", plugin), ("result", succeeded ? "ok" : "refused")]).increment()
    }

    func lag(group: String, _ partitions: [(TopicPartition, Int64)]) {
        for (tp, lag) in partitions {
            gauge("consumer_lag", [("group", group), ("topic", tp.topic), ("partition", String(tp.partition))]).record(lag)
        }
    }

    /// 1 while the daemon cannot reach its brokers (KafkaHealth), else 0.
    func kafkaDegraded(_ degraded: Bool) { gauge("kafka_degraded", []).record(degraded ? 1 : 0) }

    /// 1 while a shared state store (PostgreSQL) is unreachable (StoreHealth), else 0.
    func storeDegraded(_ degraded: Bool) { gauge("store_degraded", []).record(degraded ? 1 : 0) }

    /// The Prometheus text exposition of every metric.
    func exposition() -> String { registry.emitToString() }
}
