// The shared producer: idempotent, with delivery reports tracked per caller.
import CRDKafka
import Foundation

/// Counts outstanding deliveries for one unit of work (a consumed event or a
/// batch of them) and remembers the first failure.
public final class DeliveryTracker: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending = 0
    public private(set) var failure: KafkaError?

    public init() {}

    func begin() {
        condition.lock()
        pending += 1
        condition.unlock()
    }

    func finish(_ error: KafkaError?) {
        condition.lock()
        pending -= 1
        if let error, failure == nil { failure = error }
        if pending == 0 { condition.broadcast() }
        condition.unlock()
    }

    /// Waits until every produce registered with this tracker is acknowledged
    /// or failed. Returns the first failure, if any.
    @discardableResult
    public func wait() -> KafkaError? {
        condition.lock()
        while pending > 0 { condition.wait() }
        let result = failure
        condition.unlock()
        return result
    }

    /// Like `wait()`, but gives up after `timeout` seconds.
    /// - Returns: whether every produce finished, and the first failure.
    public func wait(timeout: TimeInterval) -> (finished: Bool, failure: KafkaError?) {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while pending > 0 {
            if !condition.wait(until: deadline) { return (pending == 0, failure) }
        }
        return (true, failure)
    }

    /// Records a failure that happened before anything could be queued.
    public func fail(_ error: KafkaError) {
        condition.lock()
        if failure == nil { failure = error }
        condition.unlock()
    }

    /// Forgets an earlier failure so the tracker can be reused.
    public func reset() {
        condition.lock()
        failure = nil
        condition.unlock()
    }
}

/// An outgoing header.
public struct OutgoingHeader: Sendable {
    public var name: String
    public var value: [UInt8]?
    public init(_ name: String, _ value: [UInt8]?) {
        self.name = name
        self.value = value
    }
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = Array(value.utf8)
    }
}

/// One producer for the whole daemon. Thread-safe.
public final class KafkaProducer: @unchecked Sendable {
    let handle: OpaquePointer
    private let box: EventsBox
    private let pollThread = PollThread()

    /// - Parameter properties: librdkafka properties; idempotence and
    ///   `acks=all` are forced on, since every event the daemon produces
    ///   decides whether a source offset may be committed.
    /// - Throws: `KafkaError` when librdkafka refuses the configuration.
    public init(properties: KafkaProperties, events: any KafkaClientEvents) throws(KafkaError) {
        var props = properties
        props["enable.idempotence"] = "true"
        props["acks"] = "all"
        let conf = try props.makeConf()
        box = EventsBox()
        box.events = events
        rd_kafka_conf_set_dr_msg_cb(conf, deliveryReport)
        rd_kafka_conf_set_error_cb(conf, clientError)
        rd_kafka_conf_set_log_cb(conf, clientLog)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(box).toOpaque())
        var errstr = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count) else {
            throw KafkaError(code: -1, message: "cannot create producer: \(String(cString: errstr))")
        }
        handle = rk
        pollThread.start(rk)
    }

    /// Queues a record. Its delivery is reported to `tracker`.
    /// - Throws: `KafkaError` when it cannot even be queued (queue full, unknown topic...).
    public func produce(topic: String, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
                        headers: UnsafeBufferPointer<eventd_out_header>, tracker: DeliveryTracker?) throws(KafkaError) {
        var opaque: UnsafeMutableRawPointer?
        if let tracker {
            tracker.begin()
            opaque = Unmanaged.passRetained(tracker).toOpaque()
        }
        var err = RD_KAFKA_RESP_ERR_NO_ERROR
        for attempt in 0..<50 {
            err = eventd_produce(handle, topic, key?.baseAddress, key?.count ?? 0, value?.baseAddress, value?.count ?? 0,
                                 headers.baseAddress, headers.count, opaque)
            // A full local queue drains as the broker acknowledges: wait a little.
            guard err == RD_KAFKA_RESP_ERR__QUEUE_FULL, attempt < 49 else { break }
            usleep(20_000)
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            if let tracker, let opaque {
                Unmanaged<DeliveryTracker>.fromOpaque(opaque).release()
                tracker.finish(nil)
            }
            throw KafkaError(err, context: "produce to \(topic)")
        }
    }

    /// Convenience produce with Swift values.
    public func produce(topic: String, key: [UInt8]?, value: [UInt8]?, headers: [OutgoingHeader],
                        tracker: DeliveryTracker?) throws(KafkaError) {
        var names: [UnsafeMutablePointer<CChar>] = []
        defer { names.forEach { free($0) } }
        let cHeaders: [eventd_out_header] = headers.map { h in
            let n = strdup(h.name)!
            names.append(n)
            return eventd_out_header(name: n, value: nil, value_len: 0)
        }
        let result: Result<Void, KafkaError> = withHeaderValues(headers, cHeaders) { list in
            withOptional(key) { k in
                withOptional(value) { v in
                    do throws(KafkaError) {
                        try produce(topic: topic, key: k, value: v, headers: list, tracker: tracker)
                        return .success(())
                    } catch { return .failure(error) }
                }
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

private func withOptional<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0.baseAddress == nil ? UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: 1), count: 0) : $0) }
}

private func withHeaderValues<R>(_ headers: [OutgoingHeader], _ base: [eventd_out_header],
                                 _ body: (UnsafeBufferPointer<eventd_out_header>) -> R) -> R {
    var list = base
    var buffers: [UnsafeMutableRawPointer] = []
    defer { buffers.forEach { free($0) } }
    for (i, h) in headers.enumerated() {
        guard let value = h.value else { continue }
        let p = malloc(max(value.count, 1))!
        value.withUnsafeBytes { if $0.count > 0 { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        buffers.append(p)
        list[i].value = UnsafeRawPointer(p)
        list[i].value_len = value.count
    }
    return list.withUnsafeBufferPointer(body)
}

private func deliveryReport(_ rk: OpaquePointer?, _ message: UnsafePointer<rd_kafka_message_t>?, _ opaque: UnsafeMutableRawPointer?) {
    guard let message, let privateData = message.pointee._private else { return }
    let tracker = Unmanaged<DeliveryTracker>.fromOpaque(privateData).takeRetainedValue()
    let err = message.pointee.err
    tracker.finish(err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(err, context: "delivery"))
}

/// Serves a client's callbacks from its own thread until stopped.
final class PollThread: @unchecked Sendable {
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
