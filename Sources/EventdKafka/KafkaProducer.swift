// The shared producer: idempotent, with delivery reports tracked per caller.
import CRDKafka
import Foundation

/// Where an empty, non-null key, value or header value points: never read.
private var emptyValue: UnsafeRawPointer { UnsafeRawPointer(bitPattern: 1)! }

/// One producer for the whole daemon. Thread-safe.
public final class KafkaProducer: @unchecked Sendable {
    package let handle: OpaquePointer
    private let box: RDKafkaEventsBox
    private let pollThread = RDKafkaPollThread()

    /// - Parameter properties: librdkafka properties; idempotence and
    ///   `acks=all` are forced on, since every event the daemon produces
    ///   decides whether a source offset may be committed.
    /// - Throws: `KafkaError` when librdkafka refuses the configuration.
    public init(properties: KafkaProperties, events: any KafkaClientEvents) throws(KafkaError) {
        var props = properties
        props["enable.idempotence"] = "true"
        props["acks"] = "all"
        let conf = try props.makeConf()
        box = RDKafkaEventsBox()
        box.events = events
        rd_kafka_conf_set_dr_msg_cb(conf, deliveryReport)
        rd_kafka_conf_set_error_cb(conf, clientError)
        rd_kafka_conf_set_log_cb(conf, clientLog)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(box).toOpaque())
        var errstr = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count) else {
            throw KafkaError(invalid: "cannot create producer: \(RDKafkaText.read(errstr))")
        }
        handle = rk
        pollThread.start(rk)
    }

    /// Queues a record. Its delivery is reported to `tracker`. Key, value and
    /// headers are copied by librdkafka: they need to live only for this call.
    /// - Throws: `KafkaError` when it cannot even be queued (queue full, unknown topic...).
    public func produce(topic: String, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
                        headers: some KafkaHeaderSource, tracker: DeliveryTracker?) throws(KafkaError) {
        let list = rd_kafka_headers_new(headers.headerCount)!
        headers.forEachHeader { name, value in
            // An empty value is not a null one (see `emptyValue`).
            _ = rd_kafka_header_add(list, name, -1, value.map { $0.baseAddress ?? emptyValue }, value?.count ?? 0)
        }
        var opaque: UnsafeMutableRawPointer?
        if let tracker {
            tracker.begin()
            opaque = Unmanaged.passRetained(tracker).toOpaque()
        }
        var error: OpaquePointer?
        for attempt in 0..<50 {
            error = eventd_produce(handle, topic, key?.baseAddress, key?.count ?? 0, value?.baseAddress, value?.count ?? 0,
                                   list, opaque)
            guard let pending = error else { return }  // queued: librdkafka owns the headers now
            // A full local queue drains as the broker acknowledges: wait a little.
            guard rd_kafka_error_code(pending) == RD_KAFKA_RESP_ERR__QUEUE_FULL, attempt < 49 else { break }
            rd_kafka_error_destroy(pending)
            usleep(20_000)
        }
        rd_kafka_headers_destroy(list)
        if let tracker, let opaque {
            Unmanaged<DeliveryTracker>.fromOpaque(opaque).release()
            tracker.finish(nil)
        }
        throw KafkaError(taking: error!, context: "produce to \(topic)")
    }

    /// Convenience produce with Swift values.
    public func produce(topic: String, key: [UInt8]?, value: [UInt8]?, headers: [OutgoingHeader],
                        tracker: DeliveryTracker?) throws(KafkaError) {
        let result = withOptional(key) { k in
            withOptional(value) { v in
                Result { () throws(KafkaError) in try produce(topic: topic, key: k, value: v, headers: headers, tracker: tracker) }
            }
        }
        try result.get()
    }

    /// Asks a broker for metadata: nil when one answered within `timeoutMs`
    /// (the cluster is reachable), else why not. Blocks; call it off the hot path.
    public func probeBrokers(timeoutMs: Int32) -> KafkaError? {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(handle, 0, nil, &metadata, timeoutMs)
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        return err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(err, context: "metadata probe")
    }

    /// Waits up to `timeoutMs` for every queued record to be delivered.
    /// Returns the number still outstanding.
    @discardableResult
    public func flush(timeoutMs: Int32) -> Int32 {
        _ = rd_kafka_flush(handle, timeoutMs)
        return rd_kafka_outq_len(handle)
    }

    deinit {
        pollThread.stop()
        rd_kafka_destroy(handle)
    }
}

/// An empty key or value is not a null one: it needs a pointer, even if no byte is read.
private func withOptional<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0.baseAddress == nil ? UnsafeRawBufferPointer(start: emptyValue, count: 0) : $0) }
}

private func deliveryReport(_ rk: OpaquePointer?, _ message: UnsafePointer<rd_kafka_message_t>?, _ opaque: UnsafeMutableRawPointer?) {
    guard let message, let privateData = message.pointee._private else { return }
    let tracker = Unmanaged<DeliveryTracker>.fromOpaque(privateData).takeRetainedValue()
    let err = message.pointee.err
    tracker.finish(err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(err, context: "delivery", client: rk))
}

/// Serves a client's callbacks from its own thread until stopped.
final class RDKafkaPollThread: @unchecked Sendable {
    private let lock = NSLock()
    private var running = false
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)

    func start(_ rk: OpaquePointer) {
        running = true
        let handle = Int(bitPattern: UnsafeMutableRawPointer(rk))
        let thread = Thread { [self] in
            let rk = OpaquePointer(bitPattern: handle)
            while isRunning { rd_kafka_poll(rk, 100) }
            done.signal()
        }
        thread.name = "rdkafka-poll"
        thread.start()
        self.thread = thread
    }

    private var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    func stop() {
        lock.lock()
        let wasRunning = running
        running = false
        lock.unlock()
        if wasRunning { done.wait() }
    }
}
