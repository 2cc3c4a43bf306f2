// Plugin-produced events: one shared producer, deliveries tied to the source event.
import CEventdPlugin
import EventdKafka
import EventdPluginHost
import EventdStore
import Foundation
import Logging

/// Implements the host's `produce` on the shared producer. The dispatcher sets
/// the current thread's tracker around each `handle` call, so the source
/// event's offset waits for the follow-up's acknowledgement.
public final class FollowUpProducer: FollowUpSink, @unchecked Sendable {
    let producer: KafkaProducer
    let logger: Logger
    private let trackerKey: pthread_key_t
    /// The transaction the current thread runs a plugin's `handle` in, if any.
    private let transactionKey: pthread_key_t

    final class TransactionScope {
        let plugin: String
        let store: any PluginStore
        var failure: String?
        init(plugin: String, store: any PluginStore) {
            self.plugin = plugin
            self.store = store
        }
    }

    public init(producer: KafkaProducer, logger: Logger) {
        self.producer = producer
        self.logger = logger
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        trackerKey = key
        var txKey = pthread_key_t()
        pthread_key_create(&txKey, nil)
        transactionKey = txKey
    }

    /// Runs `body` with produce calls of `plugin` going to its outbox, inside the open transaction.
    func withTransaction<R>(plugin: String, store: any PluginStore, _ body: () -> R) -> R {
        let scope = TransactionScope(plugin: plugin, store: store)
        pthread_setspecific(transactionKey, Unmanaged.passUnretained(scope).toOpaque())
        defer { pthread_setspecific(transactionKey, nil) }
        return withExtendedLifetime(scope) { body() }
    }

    /// Runs `body` with `tracker` as the current thread's delivery tracker.
    @inline(__always)
    func withTracker<R>(_ tracker: DeliveryTracker, _ body: () -> R) -> R {
        pthread_setspecific(trackerKey, Unmanaged.passUnretained(tracker).toOpaque())
        defer { pthread_setspecific(trackerKey, nil) }
        return body()
    }

    public func produce(plugin: String, topic: UnsafePointer<CChar>, key: UnsafeRawBufferPointer?,
                 value: UnsafeRawBufferPointer?, headers: UnsafeBufferPointer<dte_header>) -> Int32 {
        if let raw = pthread_getspecific(transactionKey) {
            let scope = Unmanaged<TransactionScope>.fromOpaque(raw).takeUnretainedValue()
            if scope.plugin == plugin {
                let list = headers.map { h -> (name: String, value: [UInt8]?) in
                    (String(cString: h.name), h.value.map { Array(UnsafeRawBufferPointer(start: $0, count: h.value_len)) })
                }
                do {
                    try scope.store.enqueue(topic: String(cString: topic), key: key, value: value, headers: list)
                    return DTE_HOST_OK
                } catch {
                    logger.error("outbox write failed", metadata: ["plugin": "\(plugin)", "error": "\(error)"])
                    return DTE_HOST_E_FAILED
                }
            }
        }
        let tracker = pthread_getspecific(trackerKey).map { Unmanaged<DeliveryTracker>.fromOpaque($0).takeUnretainedValue() }
        do {
            try producer.produce(topic: String(cString: topic), key: key, value: value, headers: PluginHeaders(headers), tracker: tracker)
            return DTE_HOST_OK
        } catch {
            logger.error("follow-up produce failed", metadata: ["plugin": "\(plugin)", "topic": "\(String(cString: topic))", "error": "\(error)"])
            return DTE_HOST_E_FAILED
        }
    }
}

/// A plugin's header array, handed to the producer in place (no copy per header).
struct PluginHeaders: KafkaHeaderSource {
    let headers: UnsafeBufferPointer<dte_header>
    init(_ headers: UnsafeBufferPointer<dte_header>) { self.headers = headers }

    var headerCount: Int { headers.count }

    func forEachHeader(_ body: (UnsafePointer<CChar>, UnsafeRawBufferPointer?) -> Void) {
        for header in headers {
            body(header.name, header.value.map { UnsafeRawBufferPointer(start: $0, count: header.value_len) })
        }
    }
}
