// The dead-letter admin commands: dlq-list reads a dead-letter topic, dlq-replay
// hands its events back to the handlers that failed them.
import EventdControl
import EventdDelivery
import EventdKafka
import EventdRouting

extension DeadLetterListReport.Record {
    init(_ record: CopiedRecord, eventID: String?) {
        self.init(partition: Int(record.partition), offset: Int(record.offset),
                  key: record.keyBytes.map { String(decoding: $0, as: UTF8.self) }, eventId: eventID)
        (outcome, plugin, pluginVersion) = (record.header(.outcome), record.header(.plugin), record.header(.pluginVersion))
        (handler, consumerGroup, error) = (record.header(.handler), record.header(.consumerGroup), record.header(.error))
        (originalTopic, originalPartition) = (record.header(.originalTopic), record.header(.originalPartition))
        (originalOffset, attempts) = (record.header(.originalOffset), record.header(.attempts))
        (firstFailure, lastFailure, replayedFrom) = (record.header(.firstFailure), record.header(.lastFailure), record.header(.replayedFrom))
    }
}

extension Daemon {
    func eventID(of record: CopiedRecord) -> String? {
        if let id = record.header("ce_id") { return id }
        guard let value = record.valueBytes else { return nil }
        return value.withUnsafeBytes { raw -> String? in
            guard let fields = try? EnvelopeScanner.scan(raw), let range = fields.eventId else { return nil }
            return EnvelopeScanner.decode(raw, range)
        }
    }

    func readDeadLetters(_ topic: String) throws(ControlError) -> [CopiedRecord] {
        guard topic.hasSuffix(configuration.delivery.dlqSuffix) else {
            throw ControlError(.refused, "'\(topic)' is not a dead-letter topic (names end in '\(configuration.delivery.dlqSuffix)')")
        }
        do {
            return try KafkaTopicReader.readAll(topic: topic, properties: consumerProperties)
        } catch {
            throw ControlError(.failed, "cannot read \(topic): \(error)")
        }
    }

    func dlqList(topic: String) throws(ControlError) -> DeadLetterListReport {
        DeadLetterListReport(topic: topic, records: try readDeadLetters(topic).map { .init($0, eventID: eventID(of: $0)) })
    }

    func dlqReplay(topic: String, eventID wanted: String?) throws(ControlError) -> ReplayReport {
        let records = try readDeadLetters(topic)
        let selected = wanted == nil ? records : records.filter { eventID(of: $0) == wanted }
        if let wanted, selected.isEmpty {
            throw ControlError(.refused, "no dead letter with event id '\(wanted)' in \(topic)")
        }
        var report = ReplayReport(topic: topic)
        for record in selected {
            let id = eventID(of: record) ?? ""
            do throws(ControlError) {
                try replay(record, from: topic)
                report.replayed.append(id)
            } catch {
                let problem = ReplayReport.Problem(eventId: id, offset: Int(record.offset), reason: error.message)
                if error.code == .refused { report.skipped.append(problem) } else { report.failed.append(problem) }
            }
        }
        logger.notice("dead letters replayed", metadata: ["topic": "\(topic)", "replayed": "\(report.replayed.count)",
                                                          "failed": "\(report.failed.count)", "skipped": "\(report.skipped.count)"])
        return report
    }

    /// Hands one dead letter back to the plugin that failed it.
    /// - Throws: `ControlError`: refused when it cannot be replayed, failed when the handler failed again.
    func replay(_ dead: CopiedRecord, from topic: String) throws(ControlError) {
        guard let pluginName = dead.header(.plugin), let groupName = dead.header(.consumerGroup),
              let handler = dead.header(.handler), let originalTopic = dead.header(.originalTopic) else {
            throw ControlError(.refused, "rejected before any handler saw it (\(dead.header(.outcome) ?? "no outcome")); fix the record at its producer")
        }
        guard let plugin = registry?.plugins.first(where: { $0.name == pluginName }) else {
            throw ControlError(.refused, "plugin '\(pluginName)' is not loaded")
        }
        guard let group = groups.first(where: { $0.group == groupName }) else {
            throw ControlError(.refused, "consumer group '\(groupName)' is not running")
        }
        guard let event = catalog.event(named: handler) else {
            throw ControlError(.refused, "event '\(handler)' is no longer in the catalog")
        }
        var record = dead
        record.topic = originalTopic
        record.partition = Int32(dead.header(.originalPartition) ?? "") ?? dead.partition
        record.offset = Int64(dead.header(.originalOffset) ?? "") ?? dead.offset
        let outcome = group.replay(record, plugin: plugin, event: event, eventID: eventID(of: dead) ?? "",
                                   policy: configuration.retryPolicy(plugin: plugin.name, event: event.name),
                                   replayedFrom: "\(topic)/\(dead.partition)/\(dead.offset)")
        switch outcome {
        case .failure(let failure): throw ControlError(.failed, "produce not acknowledged: \(failure)")
        case .success(.ok): return
        case .success(let outcome): throw ControlError(.failed, "handler failed again (\(outcome))")
        }
    }
}
