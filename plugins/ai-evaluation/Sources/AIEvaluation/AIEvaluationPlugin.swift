// The AI evaluation service (catalog section 1) as a plugin: on
// mission.completed it loads the mission's result object, scores it and
// publishes evaluation.started, then evaluation.completed or evaluation.failed;
// a failed attempt is retried through its own evaluation.retry.requested.
// See README.md for the events, state and settings.
import EventdServiceKit
import Foundation

public final class AIEvaluationPlugin: HandlerTablePlugin {
    public static let name = "ai-evaluation"
    public static let version = "1.0.0"
    /// The envelope `source` of every produced event.
    public static let source = "ai-evaluation-service"
    public static let group = "ai-evaluation-group"
    public static let handlers: [Handler<AIEvaluationPlugin>] = [
        .event("mission.completed", group: group, AIEvaluationPlugin.missionCompleted),
        .event("evaluation.retry.requested", group: group, AIEvaluationPlugin.retryRequested),
    ]
    public static let transactional = true

    let host: PluginHost
    public let configuration: AIEvaluationConfiguration
    let store: any ObjectStore
    let documents: StateDocuments
    let evaluator: any Evaluator

    public init(host: PluginHost, settings: PluginSettings) throws {
        self.host = host
        configuration = try AIEvaluationConfiguration(settings)
        store = configuration.makeObjectStore()
        documents = StateDocuments(host: host)
        evaluator = try Evaluators.make(configuration.evaluator, rule: configuration.scoringRule)
        Self.prepareRoot(configuration.objectStoreRoot, host: host)
    }

    /// Creates a missing object store root (the mission service writes into
    /// it), so that a fresh state directory works at once; warns when it
    /// cannot be there.
    static func prepareRoot(_ root: String, host: PluginHost) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) && isDirectory.boolValue { return }
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            host.log(.info, "object store root created", ["object_store_root": root])
        } catch {
            host.log(.warning, "object store root is not a directory (yet): every evaluation fails until it exists",
                     ["object_store_root": root, "error": "\(error)"])
        }
    }

    public func unhandled(_ event: Event) -> Outcome {
        .reject("ai-evaluation does not handle '\(event.name)'")
    }

    // MARK: mission.completed

    func missionCompleted(_ event: Event) throws {
        let envelope: EventEnvelope<MissionCompleted> = try decode(event)
        let p = envelope.payload
        try requireNonEmpty(event.name, ["userId": p.userId, "missionId": p.missionId, "resultKey": p.resultKey])
        guard p.durationSeconds >= 0 else {
            throw HandlingFailure.reject("\(event.name): field 'payload.durationSeconds' must not be negative, got \(p.durationSeconds)")
        }
        try requireSubject(envelope, userId: p.userId)
        do {
            try ObjectKey.validate(p.resultKey)
        } catch {
            throw HandlingFailure.reject("\(event.name): field 'payload.resultKey': \(error)")
        }
        // One evaluation per completion: the same user may complete the same
        // mission again (a redo) and is evaluated again; the same event
        // delivered again finds its own record.
        let evaluationId = Self.evaluationID(missionId: p.missionId, userId: p.userId, completion: event)
        if let existing = try loadRecord(evaluationId) {
            host.log(.info, "completion already evaluated; mission.completed ignored",
                     ["evaluationId": evaluationId, "status": existing.status.rawValue, "eventId": envelope.eventId])
            return
        }
        let time = Timestamp.string(envelope.occurredAt)
        var record = EvaluationRecord(
            evaluationId: evaluationId, userId: p.userId, missionId: p.missionId, resultKey: p.resultKey,
            durationSeconds: p.durationSeconds, evaluator: evaluator.name, status: .retrying, attempts: 0,
            startedAt: time, updatedAt: time, history: [])
        var followUps = FollowUpBatch(event: event, envelope: envelope, userId: p.userId)
        try followUps.add("evaluation.started", topic: configuration.evaluationTopic,
                          EvaluationStarted(userId: p.userId, missionId: p.missionId, evaluationId: evaluationId))
        var delta = StatsDelta(started: 1)
        try runAttempt(1, record: &record, eventId: envelope.eventId, time: time, isRetry: false,
                       followUps: &followUps, delta: &delta)
        try commit(record, followUps, delta, time: time)
    }

    // MARK: evaluation.retry.requested

    func retryRequested(_ event: Event) throws {
        let envelope: EventEnvelope<EvaluationRetryRequested> = try decode(event)
        let p = envelope.payload
        try requireNonEmpty(event.name, ["userId": p.userId, "missionId": p.missionId, "evaluationId": p.evaluationId])
        guard p.attempt >= 2 else {
            throw HandlingFailure.reject("\(event.name): field 'payload.attempt' must be at least 2 (attempt 1 is the evaluation itself), got \(p.attempt)")
        }
        let evaluationId = p.evaluationId
        try requireSubject(envelope, userId: p.userId)
        guard var record = try loadRecord(evaluationId) else {
            throw HandlingFailure.reject("\(event.name): no evaluation '\(evaluationId)' is recorded (its mission.completed was never handled here)")
        }
        guard record.missionId == p.missionId else {
            throw HandlingFailure.reject("\(event.name): evaluation '\(evaluationId)' is of mission '\(record.missionId)', not '\(p.missionId)'")
        }
        guard record.userId == p.userId else {
            throw HandlingFailure.reject("\(event.name): evaluation '\(evaluationId)' belongs to user '\(record.userId)', not '\(p.userId)'")
        }
        if record.status == .completed {
            host.log(.info, "evaluation already completed; retry request ignored",
                     ["evaluationId": evaluationId, "attempt": "\(p.attempt)", "eventId": envelope.eventId])
            return
        }
        if p.attempt <= record.attempts {
            host.log(.info, "stale retry request ignored",
                     ["evaluationId": evaluationId, "attempt": "\(p.attempt)", "recordedAttempts": "\(record.attempts)"])
            return
        }
        guard p.attempt == record.attempts + 1 else {
            throw HandlingFailure.reject("\(event.name): attempt \(p.attempt) of '\(evaluationId)' does not follow the recorded attempt \(record.attempts)")
        }
        let time = Timestamp.string(envelope.occurredAt)
        var followUps = FollowUpBatch(event: event, envelope: envelope, userId: p.userId)
        var delta = StatsDelta(retriesAttempted: 1)
        try runAttempt(p.attempt, record: &record, eventId: envelope.eventId, time: time, isRetry: true,
                       followUps: &followUps, delta: &delta, delivery: (event.attempt, event.attemptsLeft))
        try commit(record, followUps, delta, time: time)
    }

    // MARK: one attempt

    enum Verdict {
        case evaluated(Evaluation)
        case failed(String)
    }

    /// Loads and evaluates the result object. An invalid key (one that
    /// escapes the store) rejects the event; everything else is a verdict.
    func evaluateObject(_ key: String, evaluationId: String) throws -> Verdict {
        let data: Data
        do {
            data = try store.load(key: key)
        } catch let error as ObjectStoreError {
            if error.isPermanent { throw HandlingFailure.reject("evaluation '\(evaluationId)': \(error)") }
            return .failed(error.description)
        } catch {
            return .failed("object '\(key)' cannot be loaded: \(error)")
        }
        do {
            return .evaluated(try evaluator.evaluate(data))
        } catch {
            return .failed("object '\(key)' is corrupt: \(error)")
        }
    }

    /// Runs attempt `n` and queues the follow-ups it decides. A retry
    /// attempt's failure that the daemon's retry policy still grants
    /// deliveries to is handed back as `.retry` (nothing written, nothing
    /// published): the daemon's delay tiers schedule the next try, and only
    /// the last one's failure counts.
    /// - Parameter delivery: this call's attempt at the event and the attempts the daemon has left.
    func runAttempt(_ n: Int, record: inout EvaluationRecord, eventId: String, time: String, isRetry: Bool,
                    followUps: inout FollowUpBatch, delta: inout StatsDelta,
                    delivery: (attempt: Int, left: Int) = (1, 0)) throws {
        let ids = (userId: record.userId, missionId: record.missionId, evaluationId: record.evaluationId)
        let verdict = try evaluateObject(record.resultKey, evaluationId: record.evaluationId)
        if isRetry, case .failed(let reason) = verdict, delivery.left > 0 {
            host.log(.info, "evaluation attempt failed; the daemon schedules it again",
                     ["evaluationId": ids.evaluationId, "attempt": "\(n)", "delivery": "\(delivery.attempt)",
                      "deliveriesLeft": "\(delivery.left)", "reason": reason])
            throw HandlingFailure.retry("evaluation '\(ids.evaluationId)' attempt \(n) (delivery \(delivery.attempt)): \(reason)")
        }
        record.attempts = n
        record.updatedAt = time
        switch verdict {
        case .evaluated(let result):
            if isRetry {
                try followUps.add("evaluation.retry.completed", topic: configuration.evaluationTopic, EvaluationRetryCompleted(
                    userId: ids.userId, missionId: ids.missionId, evaluationId: ids.evaluationId,
                    attempt: n, succeeded: true, score: result.score))
                delta.retriesSucceeded += 1
            }
            try followUps.add("evaluation.completed", topic: configuration.completedTopic, EvaluationCompleted(
                userId: ids.userId, missionId: ids.missionId, evaluationId: ids.evaluationId,
                score: result.score, passed: result.passed, feedback: result.feedback))
            try followUps.add("notification.requested", topic: configuration.notificationTopic, NotificationRequested(
                userId: ids.userId, channel: "email", template: "evaluation.completed",
                data: ["evaluationId": ids.evaluationId, "missionId": ids.missionId, "score": "\(result.score)",
                       "passed": "\(result.passed)", "feedback": result.feedback]))
            record.status = .completed
            record.score = result.score
            record.passed = result.passed
            record.feedback = result.feedback
            record.history.append(.init(attempt: n, eventId: eventId, at: time, succeeded: true, score: result.score, reason: nil,
                                         deliveries: isRetry ? delivery.attempt : nil))
            delta.completion = (result.score, result.passed)
            host.log(.info, "evaluation completed", ["evaluationId": ids.evaluationId, "attempt": "\(n)",
                                                     "score": "\(result.score)", "passed": "\(result.passed)"])
        case .failed(let reason):
            if isRetry {
                try followUps.add("evaluation.retry.completed", topic: configuration.evaluationTopic, EvaluationRetryCompleted(
                    userId: ids.userId, missionId: ids.missionId, evaluationId: ids.evaluationId,
                    attempt: n, succeeded: false, score: nil))
            }
            let retryable = n < configuration.maxAttempts
            try followUps.add("evaluation.failed", topic: configuration.evaluationTopic, EvaluationFailed(
                userId: ids.userId, missionId: ids.missionId, evaluationId: ids.evaluationId,
                reason: reason, retryable: retryable, attempt: n))
            delta.failedAttempts += 1
            record.lastReason = reason
            record.history.append(.init(attempt: n, eventId: eventId, at: time, succeeded: false, score: nil, reason: reason,
                                         deliveries: isRetry ? delivery.attempt : nil))
            if retryable {
                try followUps.add("evaluation.retry.requested", topic: configuration.evaluationTopic, EvaluationRetryRequested(
                    userId: ids.userId, missionId: ids.missionId, evaluationId: ids.evaluationId,
                    attempt: n + 1, reason: reason))
                record.status = .retrying
                delta.retriesRequested += 1
            } else {
                try followUps.add("notification.requested", topic: configuration.notificationTopic, NotificationRequested(
                    userId: ids.userId, channel: "email", template: "evaluation.failed",
                    data: ["evaluationId": ids.evaluationId, "missionId": ids.missionId, "reason": reason,
                           "attempts": "\(n)"]))
                record.status = .failed
                delta.finalFailures += 1
            }
            host.log(retryable ? .info : .warning, retryable ? "evaluation attempt failed; retry requested" : "evaluation finally failed",
                     ["evaluationId": ids.evaluationId, "attempt": "\(n)", "reason": reason])
        }
    }

    // MARK: effects

    /// Produces the follow-ups, then writes the record and both statistics
    /// documents (one transaction in the daemon: all or nothing).
    func commit(_ record: EvaluationRecord, _ followUps: FollowUpBatch, _ delta: StatsDelta, time: String) throws {
        for item in followUps.items {
            do {
                try host.produce(topic: item.topic, key: Array(record.userId.utf8), value: item.value, headers: item.headers)
            } catch {
                throw HandlingFailure.retry("producing \(item.type) to '\(item.topic)' failed: \(error)")
            }
        }
        try saveDocument(Self.recordKey(record.evaluationId), record)
        for key in [Self.statsKey(userId: record.userId), Self.globalStatsKey] {
            var stats: EvaluationStats = try loadDocument(key) ?? EvaluationStats()
            delta.apply(to: &stats, evaluationId: record.evaluationId, at: time)
            try saveDocument(key, stats)
        }
    }

    func loadRecord(_ evaluationId: String) throws -> EvaluationRecord? {
        try loadDocument(Self.recordKey(evaluationId))
    }

    func loadDocument<T: Decodable>(_ key: String) throws(HandlingFailure) -> T? {
        try documents.load(T.self, key)
    }

    func saveDocument<T: Encodable>(_ key: String, _ value: T) throws(HandlingFailure) {
        try documents.save(value, key)
    }

    // MARK: validation helpers

    func decode<P: Decodable>(_ event: Event) throws -> EventEnvelope<P> {
        guard !event.id.isEmpty else { throw HandlingFailure.reject("\(event.name): the event has no id") }
        do {
            return try EventEnvelope<P>(event)
        } catch {
            throw HandlingFailure.reject("\(event.name): \(error)")
        }
    }

    func requireNonEmpty(_ eventName: String, _ fields: KeyValuePairs<String, String>) throws {
        for (name, value) in fields where value.isEmpty {
            throw HandlingFailure.reject("\(eventName): field 'payload.\(name)' must not be empty")
        }
    }

    func requireSubject<P>(_ envelope: EventEnvelope<P>, userId: String) throws {
        if let subject = envelope.subject, subject != userId {
            throw HandlingFailure.reject("\(envelope.eventType): subject '\(subject)' does not match payload.userId '\(userId)'")
        }
    }

    // MARK: names

    /// `eval-<missionId>-<16 hex digits>`: unique per completion event (its id
    /// and user hashed), the same whenever that event is handled again.
    public static func evaluationID(missionId: String, userId: String, completion event: Event) -> String {
        let digest = event.followUpID(0, plugin: "\(name)/evaluation/\(userId)").dropFirst(3).prefix(16)
        return "eval-\(missionId)-\(digest)"
    }
    public static func recordKey(_ evaluationId: String) -> String { "evaluation/\(evaluationId)" }
    public static func statsKey(userId: String) -> String { "stats/\(userId)" }
    public static let globalStatsKey = "global/stats"
}

/// The follow-up events of one handled event, in order, with deterministic
/// ids, each tied to the handled event (causation, correlation, trace).
struct FollowUpBatch {
    let event: Event
    let lineage: EventLineage
    let userId: String
    private(set) var items: [(type: String, topic: String, value: [UInt8], headers: [Header])] = []

    init<P>(event: Event, envelope: EventEnvelope<P>, userId: String) {
        self.event = event
        lineage = envelope.lineage
        self.userId = userId
    }

    mutating func add<P: Encodable>(_ type: String, topic: String, _ payload: P) throws {
        let outgoing = OutgoingEvent(id: event.followUpID(items.count, plugin: AIEvaluationPlugin.name), type: type,
                                     source: AIEvaluationPlugin.source, subject: userId, payload: payload, after: lineage)
        items.append((type, topic, try outgoing.encoded(), lineage.followUpHeaders(followUpId: outgoing.eventId)))
    }
}

@_cdecl("devtrip_eventd_plugin_v1")
public func devtripEventdPluginV1() -> UnsafeRawPointer { PluginExport.register(AIEvaluationPlugin.self) }
