// Follow-ups traceable across plugins, with the real daemon and the five
// service plugins: every follow-up names its cause (causationId), carries the
// chain's first event id (correlationId) and a traceparent of the first
// event's trace, three and four hops down; a dead letter keeps the original
// headers and value byte for byte.
import Foundation
import Testing

@Suite(.serialized) struct CausationChainEndToEndTests {
    let run = String(UUID().uuidString.prefix(6)).lowercased()
    static let traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let traceparent = "00-\(traceId)-00f067aa0ba902b7-01"

    /// One record of `user` on `topic`: envelope and headers.
    struct Traced {
        var json: [String: Any]
        var headers: [String: String]
        var id: String { json["eventId"] as? String ?? "" }
        var type: String { json["eventType"] as? String ?? "" }
        var causation: String? { json["causationId"] as? String }
        var correlation: String? { json["correlationId"] as? String }
        var template: String? { (json["payload"] as? [String: Any])?["template"] as? String }
        /// The trace id and span id of the `traceparent` header.
        var trace: (traceId: String, spanId: String)? {
            let parts = (headers["traceparent"] ?? "").split(separator: "-").map(String.init)
            return parts.count == 4 && parts[0] == "00" && parts[1].count == 32 && parts[2].count == 16 ? (parts[1], parts[2]) : nil
        }
    }

    func traced(_ services: ServiceDaemon, _ topic: String, user: String) throws -> [Traced] {
        try Kcat.consumeAll(services.bootstrap, topic: topic).filter { $0.key == user }.map { record in
            Traced(json: try JSONSerialization.jsonObject(with: Data(record.value.utf8)) as? [String: Any] ?? [:], headers: record.headers)
        }
    }

    @Test func aFollowUpThreeHopsDownCarriesTheFirstEventsIdAndTrace() throws {
        let services = try ServiceDaemon("chain")
        let user = "ch-\(run)", first = "\(run)-chain-completed"
        // The result object is missing: ai-evaluation fails three attempts through its own retry requests,
        // and auth follows the evaluation events.
        let value = try ServiceDaemon.envelope("mission.completed", id: first, user: user, at: at(0),
                                               ["userId": user, "missionId": "chain-1", "resultKey": "\(user)/chain-1.json", "durationSeconds": 30])
        try Kcat.produce(services.bootstrap, topic: "mission.completed", lines: [(user, value)], headers: ["traceparent": Self.traceparent])
        try services.wait("the final evaluation failure mail and auth's alerts") {
            try services.templates(user, from: "ai-evaluation-service") == ["evaluation.failed"]
                && services.templates(user, from: "auth-service").contains("admin.technical-support-needed")
        }
        try services.quiesce()

        let evaluation = try traced(services, "evaluation-events", user: user)
        let mails = try traced(services, "notification-events", user: user)
        let all = evaluation + mails
        #expect(all.count >= 10, "\(all.map(\.type))")
        // Every follow-up of the chain carries the first event's id and continues its trace, each with a span of its own.
        for event in all {
            #expect(event.correlation == first, "\(event.type) \(event.id): correlationId \(event.correlation ?? "none")")
            #expect(event.trace?.traceId == Self.traceId, "\(event.type) \(event.id): traceparent \(event.headers["traceparent"] ?? "none")")
            #expect(event.trace?.spanId != "00f067aa0ba902b7")
            #expect(event.causation != nil && event.causation != event.id)
        }
        #expect(Set(all.compactMap { $0.trace?.spanId }).count == all.count)

        // Hop by hop: completion → retry.requested(2) → retry.requested(3) → final failure mail → (auth) alert.
        let byId = Dictionary(all.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        func hops(_ event: Traced) -> Int {
            var n = 0, cause = event.causation
            while let id = cause, id != first, let parent = byId[id] { n += 1; cause = parent.causation }
            return cause == first ? n + 1 : -1
        }
        let finalMail = try #require(mails.first { $0.template == "evaluation.failed" })
        #expect(hops(finalMail) == 3, "the final failure mail is the third hop")
        let alert = try #require(mails.first { $0.template == "admin.technical-support-needed" })
        #expect(hops(alert) == 4, "auth's alert follows the third attempt's evaluation.failed")
        #expect(byId[alert.causation ?? ""]?.type == "evaluation.failed")
        // occurredAt: when it happened (the first event says 2026-11-24T10:00:00Z, long before the test ran).
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        #expect(all.allSatisfy { formatter.date(from: $0.json["occurredAt"] as? String ?? "").map { abs($0.timeIntervalSinceNow) < 300 } == true })
    }

    @Test func aDeadLetterKeepsTheOriginalHeadersAndValue() throws {
        let services = try ServiceDaemon("chain-dlq", plugins: ["ai-evaluation"])
        let user = "dl-\(run)"
        // A path-traversal result key: ai-evaluation rejects the event.
        let value = try ServiceDaemon.envelope("mission.completed", id: "\(run)-dlq", user: user, at: at(0),
                                               ["userId": user, "missionId": "m", "resultKey": "../secret.json", "durationSeconds": 1])
            .replacingOccurrences(of: #""eventId""#, with: #""correlationId":"first-\#(run)","eventId""#)
        try Kcat.produce(services.bootstrap, topic: "mission.completed", lines: [(user, value)],
                         headers: ["traceparent": Self.traceparent, "ce_correlationid": "first-\(run)"])
        var letters: [ConsumedRecord] = []
        try services.wait("the dead letter") {
            letters = try Kcat.consumeAll(services.bootstrap, topic: "mission.completed.dlq").filter { $0.key == user }
            return !letters.isEmpty
        }
        let letter = try #require(letters.first)
        #expect(letter.value == value, "the value byte for byte")
        #expect(letter.headers["traceparent"] == Self.traceparent)
        #expect(letter.headers["ce_correlationid"] == "first-\(run)")
        #expect(letter.headers["x-dlq-plugin"] == "ai-evaluation")
    }
}
