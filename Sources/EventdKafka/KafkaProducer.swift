// The shared producer: idempotent, with delivery reports tracked per caller.
import CRDKafka
import Foundation

/// Where an empty, non-null key, value or header value points: never read.
private var emptyValue: UnsafeRawPointer { UnsafeRawPointer(bitPattern: 1)! }

/// One producer for the whole daemon. Thread-safe.
///
/// An idempotent producer that hits a fatal error refuses every later record (librdkafka before 2.3.0
/// raises one after a produce request that timed out or lost its connection, #4438). The producer then
/// replaces its client with a new one, as WaterDrop's `reload_on_idempotent_fatal_error` does: records
/// still queued in the old client are reported failed (their partitions are read again) and later
/// records go out through the new one.
public final class KafkaProducer: @unchecked Sendable {
    private let properties: KafkaProperties
    private let box: RDKafkaEventsBox
    /// Guards `client`: held shared while a call uses the handle, exclusively to swap it.
    private let clientLock: UnsafeMutablePointer<pthread_rwlock_t>
    /// nil once closed.
    private var client: Client?
    /// Replaces clients one at a time, off librdkafka's threads (the fatal error comes on the old client's poll thread).
    private let replacer = DispatchQueue(label: "eventd.producer.replace")
    private let counts = NSLock()
    private var replacedCount = 0

    /// One librdkafka producer and the thread that serves its callbacks.
    private final class Client {
        let handle: OpaquePointer
        let pollThread = RDKafkaPollThread()

        init(properties: KafkaProperties, box: RDKafkaEventsBox) throws(KafkaError) {
            let conf = try properties.makeConf()
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

        /// Fails what is still queued or in flight, serves those reports, and destroys the client.
        func close() {
            _ = rd_kafka_purge(handle, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
            _ = rd_kafka_flush(handle, 5000)
            pollThread.stop()
            // Reports that came after the flush: a tracker is never left waiting.
            while rd_kafka_poll(handle, 0) > 0 {}
            rd_kafka_destroy(handle)
        }
    }

    /// - Parameter properties: librdkafka properties; idempotence and
    ///   `acks=all` are forced on, since every event the daemon produces
    ///   decides whether a source offset may be committed.
    /// - Throws: `KafkaError` when librdkafka refuses the configuration.
    public init(properties: KafkaProperties, events: any KafkaClientEvents) throws(KafkaError) {
        var props = properties
        props["enable.idempotence"] = "true"
        props["acks"] = "all"
        self.properties = props
        box = RDKafkaEventsBox()
        box.events = events
        client = try Client(properties: props, box: box)
        clientLock = .allocate(capacity: 1)
        pthread_rwlock_init(clientLock, nil)
        box.fatal = { [weak self] rk in self?.replace(rk) }
    }

    /// How many times a fatal error made the producer replace its client.
    public var replacements: Int { counts.withLock { replacedCount } }

    /// Runs `body` with the current client's handle; a replacement or `close` waits until it returns.
    /// - Returns: nil when the producer is closed (`body` is not run).
    package func withHandle<R, E: Error>(_ body: (OpaquePointer) throws(E) -> R) throws(E) -> R? {
        pthread_rwlock_rdlock(clientLock)
        defer { pthread_rwlock_unlock(clientLock) }
        guard let client else { return nil }
        return try body(client.handle)
    }

    /// Why a call on a closed producer fails.
    static func closedError(_ what: String) -> KafkaError {
        KafkaError(code: .state, message: "\(what): the producer is closed")
    }

    /// Destroys the client (what is still undelivered is reported failed); every later call fails.
    /// The daemon closes it at shutdown, after its flush and before the embedded cluster goes: the
    /// objects that still hold the producer then keep no connection (or librdkafka thread) alive.
    public func close() {
        pthread_rwlock_wrlock(clientLock)
        let old = client
        client = nil
        pthread_rwlock_unlock(clientLock)
        old?.close()
    }

    /// Replaces the client whose handle is `failed` (a later report for a replaced one is ignored).
    private func replace(_ failed: OpaquePointer) {
        let failed = Int(bitPattern: UnsafeMutableRawPointer(failed))
        replacer.async { [weak self] in
            guard let self else { return }
            func isCurrent() -> Bool { client.map { Int(bitPattern: UnsafeMutableRawPointer($0.handle)) == failed } ?? false }
            pthread_rwlock_rdlock(clientLock)
            let current = isCurrent()
            pthread_rwlock_unlock(clientLock)
            guard current else { return }
            let fresh: Client
            do throws(KafkaError) {
                fresh = try Client(properties: properties, box: box)
            } catch {
                // The same configuration built the first one, so this is not expected. The failed client stays:
                // its refusals keep the partitions waiting (and logged), and no event is lost.
                box.events?.kafkaError(error)
                return
            }
            pthread_rwlock_wrlock(clientLock)
            // Closed meanwhile: the new client is not needed.
            guard isCurrent(), let old = client else {
                pthread_rwlock_unlock(clientLock)
                fresh.close()
                return
            }
            client = fresh
            pthread_rwlock_unlock(clientLock)
            old.close()
            counts.withLock { replacedCount += 1 }
            box.events?.kafkaProducerReplaced()
        }
    }

    /// Queues a record. Its delivery is reported to `tracker`. Key, value and
    /// headers are copied by librdkafka: they need to live only for this call.
    /// - Throws: `KafkaError` when it cannot even be queued (queue full, unknown topic, a fatal error...).
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
        var closed = false
        for attempt in 0..<50 {
            // The handle is held only for the call: a full queue is waited for outside it.
            let attempted = withHandle { handle in
                eventd_produce(handle, topic, key?.baseAddress, key?.count ?? 0, value?.baseAddress, value?.count ?? 0, list, opaque)
            }
            guard let attempted else { closed = true; break }
            error = attempted
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
        if closed { throw Self.closedError("produce to \(topic)") }
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
        let answer = withHandle { handle -> KafkaError? in
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let err = rd_kafka_metadata(handle, 0, nil, &metadata, timeoutMs)
            if let metadata { rd_kafka_metadata_destroy(metadata) }
            return err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(err, context: "metadata probe")
        }
        return answer ?? Self.closedError("metadata probe")
    }

    /// Waits up to `timeoutMs` for every queued record to be delivered.
    /// Returns the number still outstanding.
    @discardableResult
    public func flush(timeoutMs: Int32) -> Int32 {
        withHandle { handle in
            _ = rd_kafka_flush(handle, timeoutMs)
            return rd_kafka_outq_len(handle)
        } ?? 0
    }

    deinit {
        // A replacement queued now finds no producer (`fatal` holds it weakly) and does nothing; one
        // under way holds the producer, so it has ended. (No `replacer.sync` here: the last release
        // may come from that replacement, on the replacer's own queue.)
        close()
        pthread_rwlock_destroy(clientLock)
        clientLock.deallocate()
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
