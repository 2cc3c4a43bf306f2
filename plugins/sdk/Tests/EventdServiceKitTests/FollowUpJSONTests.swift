// Follow-ups the service plugins publish on every event are written by the SDK's
// SortedJSONEncoder: the same bytes Foundation's encoder writes.
import EventdServiceKit
import Foundation
import Testing

@Suite struct FollowUpJSONTests {
    func foundation<P: Encodable>(_ event: OutgoingEvent<P>) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(event))
    }

    @Test func notificationsAndBalanceWarningsAreWrittenAsFoundationWritesThem() throws {
        let lineage = EventLineage(eventId: "e-1", correlationId: "c/1", traceparent: nil)
        let data = ["owed": "3", "Balance": "0", "missionId": "m/1", "note": "a\nb \"q\"", "é": "", "owed2": "\u{1}"]
        let notifications = [
            OutgoingEvent(id: "fu-1", type: "notification.requested", source: "payment-service", subject: "user-1",
                          payload: NotificationRequested(userId: "user-\"1\"", template: "payment.tickets-owed", data: data),
                          after: lineage),
            OutgoingEvent(id: "fu-3", type: "notification.requested", occurredAt: Date(timeIntervalSince1970: 0),
                          source: "s", subject: nil, payload: NotificationRequested(userId: "u", template: "t", data: [:])),
        ]
        for event in notifications {
            let direct = try event.encoded()
            #expect(try direct == foundation(event), "\(String(decoding: direct, as: UTF8.self))")
            #expect(try JSONObject.writesInOrder(event) && JSONObject.writesInOrder(event.payload), "the encoder's fast path")
        }
        let low = OutgoingEvent(id: "fu-2", type: "payment.ticket-balance-low", source: "payment-service", subject: nil,
                                payload: TicketBalanceLow(userId: "user-1", balance: 0, threshold: 2, plan: "basic"),
                                after: EventLineage(eventId: "e-2", correlationId: nil, traceparent: nil))
        #expect(try low.encoded() == foundation(low))
    }
}
