// Plugin-produced events: one shared producer, deliveries tied to the source event.
import CEventdPlugin
import CRDKafka
import EventdKafka
import EventdPluginHost
import Foundation
import Logging

/// Implements the host's `produce` on the shared producer. The dispatcher sets
/// the current thread's tracker around each `handle` call, so the source
/// event's offset waits for the follow-up's acknowledgement.
final class FollowUpProducer: FollowUpSink, @unchecked Sendable {
    let producer: KafkaProducer
    let logger: Logger
    private let trackerKey: pthread_key_t

    init(producer: KafkaProducer, logger: Logger) {
        self.producer = producer
        self.logger = logger
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        trackerKey = key
    }

    /// Runs `body` with `tracker` as the current thread's delivery tracker.
    @inline(__always)
    func withTracker<R>(_ tracker: DeliveryTracker, _ body: () -> R) -> R {
        pthread_setspecific(trackerKey, Unmanaged.passUnretained(tracker).toOpaque())
        defer { pthread_setspecific(trackerKey, nil) }
        return body()
    }

    func produce(plugin: String, topic: UnsafePointer<CChar>, key: UnsafeRawBufferPointer?,
                 value: UnsafeRawBufferPointer?, headers: UnsafeBufferPointer<dte_header>) -> Int32 {
        let tracker = pthread_getspecific(trackerKey).map { Unmanaged<DeliveryTracker>.fromOpaque($0).takeUnretainedValue() }
        // dte_header and eventd_out_header have the same layout: name, value, length.
        let raw = UnsafeRawBufferPointer(headers)
        let outHeaders = raw.bindMemory(to: eventd_out_header.self)
        do {
            try producer.produce(topic: String(cString: topic), key: key, value: value, headers: outHeaders, tracker: tracker)
            return DTE_HOST_OK
        } catch {
            logger.error("follow-up produce failed", metadata: ["plugin": "\(plugin)", "topic": "\(String(cString: topic))", "error": "\(error)"])
            return DTE_HOST_E_FAILED
        }
    }
}
