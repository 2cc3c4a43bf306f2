// Produces follow-up events as JSON envelopes with deterministic ids.
import EventdPluginSDK
import Foundation

/// The `notification.requested` payload (plugins/README.md).
struct NotificationRequested: Encodable, Equatable {
    var userId: String
    var channel = "email"
    var template: String
    var data: [String: String]
}

/// Publishes one source event's follow-ups.
///
/// Each follow-up kind has a fixed index, so its id is the same whichever
/// other follow-ups the event produced, and the same again on redelivery.
struct FollowUpPublisher {
    let host: PluginHost
    let plugin: String
    let source: String
    let notificationTopic: String

    /// - Throws: `.retry` when the host could not queue the event.
    func publish<Source: UserPayload, Payload: Encodable>(
        _ payload: Payload, type: String, topic: String, index: Int, after source: UserEvent<Source>
    ) throws(HandlingFailure) {
        let envelope = OutgoingEvent(id: source.event.followUpID(index, plugin: plugin), type: type,
                                     occurredAt: source.occurredAt, source: self.source,
                                     subject: source.userId, payload: payload)
        do {
            try host.produce(topic: topic, key: Array(source.userId.utf8), value: try envelope.encoded())
        } catch {
            throw .retry("producing \(type) on \(topic) failed: \(error)")
        }
    }

    /// Requests an email to the source event's user.
    func notify<Source: UserPayload>(_ template: String, _ data: [String: String], index: Int,
                                     after source: UserEvent<Source>) throws(HandlingFailure) {
        try publish(NotificationRequested(userId: source.userId, template: template, data: data),
                    type: "notification.requested", topic: notificationTopic, index: index, after: source)
    }
}
