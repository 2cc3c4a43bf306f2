// A reproducible stream of catalog events, half-way between the two wire forms.
import Foundation

struct StreamEvent {
    var id: String
    var key: String
    var seq: Int
    var cloudEvent: Bool
    var name: String
    var value: String
}

enum EventStream {
    static let envelopeNames = ["mission.started", "mission.paused", "mission.resumed"]

    /// `count` events over `keys` keys; every `ceEvery`-th is a CloudEvents
    /// binary-mode `mission.completed`, the rest JSON envelopes.
    static func make(count: Int, keys: Int, ceEvery: Int, prefix: String) -> [StreamEvent] {
        var seqByKey: [String: Int] = [:]
        return (0..<count).map { i in
            let key = "user-\(i % keys)"
            let seq = seqByKey[key, default: 0]
            seqByKey[key] = seq + 1
            let id = "\(prefix)-\(i)"
            if i % ceEvery == ceEvery - 1 {
                return StreamEvent(id: id, key: key, seq: seq, cloudEvent: true, name: "mission.completed",
                                   value: #"{"testId":"\#(id)","seq":\#(seq),"missionId":"m-\#(i)"}"#)
            }
            let name = envelopeNames[i % envelopeNames.count]
            let value = #"{"eventId":"\#(id)","eventType":"\#(name)","occurredAt":"2026-11-24T10:00:00Z","source":"e2e","subject":"\#(key)","payload":{"testId":"\#(id)","seq":\#(seq)}}"#
            return StreamEvent(id: id, key: key, seq: seq, cloudEvent: false, name: name, value: value)
        }
    }

    /// Produces `events` in order with kcat: runs of envelopes in one call,
    /// each CloudEvent in its own call (kcat sets headers per call).
    static func produce(_ events: ArraySlice<StreamEvent>, brokers: String, topic: String) throws {
        var run: [(key: String, value: String)] = []
        func flush() throws {
            if !run.isEmpty { try Kcat.produce(brokers, topic: topic, lines: run) }
            run.removeAll()
        }
        for event in events {
            if event.cloudEvent {
                try flush()
                try Kcat.produce(brokers, topic: topic, lines: [(event.key, event.value)], headers: [
                    "ce_type": event.name, "ce_id": event.id, "ce_time": "2026-11-24T10:00:00Z", "ce_source": "e2e", "ce_specversion": "1.0",
                    "content-type": "application/json",
                ])
            } else {
                run.append((event.key, event.value))
            }
        }
        try flush()
    }

    static func field(_ name: String, in value: String) -> String? {
        guard let range = value.range(of: "\"\(name)\":") else { return nil }
        var rest = value[range.upperBound...]
        if rest.first == "\"" {
            rest = rest.dropFirst()
            return String(rest.prefix { $0 != "\"" })
        }
        return String(rest.prefix { $0.isNumber })
    }
}

/// What one plugin echoed: ids in arrival order per key.
struct EchoReport {
    var countById: [String: Int] = [:]
    var seqsByKey: [String: [Int]] = [:]

    init(_ records: [ConsumedRecord], plugin: String) {
        for record in records where record.headers["x-echo-plugin"] == plugin {
            guard let id = EventStream.field("testId", in: record.value),
                  let seq = EventStream.field("seq", in: record.value).flatMap(Int.init) else { continue }
            countById[id, default: 0] += 1
            seqsByKey[record.key, default: []].append(seq)
        }
    }

    var total: Int { countById.values.reduce(0, +) }
    var duplicates: [String] { countById.filter { $0.value > 1 }.map(\.key).sorted() }
    func missing(from events: [StreamEvent]) -> [String] { events.map(\.id).filter { countById[$0] == nil } }
    /// Keys whose sequence numbers did not arrive in increasing order.
    var keysOutOfOrder: [String] {
        seqsByKey.filter { _, seqs in zip(seqs, seqs.dropFirst()).contains { $0 >= $1 } }.map(\.key).sorted()
    }
}
