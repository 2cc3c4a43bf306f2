// Plugin-produced events: one shared producer, deliveries tied to the source event.
import CEventdPlugin
import EventdKafka
import EventdPluginHost
import EventdStore
import Foundation
import Logging

/// A partition batch's side of its handler calls: where the follow-ups of the
/// event in hand go. Made once per partition and batch, handed to each call.
final class DeliveryCall: HandlerCall, @unchecked Sendable {
    /// The source events' offsets wait for the acknowledgements it tracks.
    let tracker: DeliveryTracker
    /// Set around a transactional plugin's call: its follow-ups go to its outbox, in the open transaction.
    @exclusivity(unchecked) var transaction: (plugin: String, store: any PluginStore)?
    /// Group commit of a source partition's batch (nil: each event commits on its own, as replays and tier records do).
    @exclusivity(unchecked) var batch: BatchCommit?

    init(tracker: DeliveryTracker) {
        self.tracker = tracker
        super.init()
    }
}

/// Implements the host's `produce` on the shared producer: a follow-up of a
/// transactional plugin goes to its outbox inside the call's transaction;
/// any other is produced at once, and the source event's offset waits for its acknowledgement.
public final class FollowUpProducer: FollowUpSink, @unchecked Sendable {
    let producer: KafkaProducer
    let logger: Logger

    public init(producer: KafkaProducer, logger: Logger) {
        self.producer = producer
        self.logger = logger
    }

    public func produce(plugin: String, call: HandlerCall?, topic: UnsafePointer<CChar>, key: UnsafeRawBufferPointer?,
                 value: UnsafeRawBufferPointer?, headers: UnsafeBufferPointer<dte_header>) -> Int32 {
        let call = call as? DeliveryCall
        if let scope = call?.transaction {
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
        let tracker = call?.tracker
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
