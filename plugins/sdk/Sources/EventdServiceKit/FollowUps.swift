// Follow-up events of one source event: JSON envelopes keyed by the user, with
// deterministic ids, so a handler run again for the same event produces the
// same ids (dropped downstream as duplicates). Each carries its cause's id,
// the chain's correlation id and a traceparent of the cause's trace, and
// occurs when it is produced.
import EventdCatalog
import EventdPluginSDK
import Foundation

/// Produces one source event's follow-ups with ids `followUpID(0)`,
/// `followUpID(1)`, ... in production order (auth, user).
public final class FollowUps {
    public let host: PluginHost
    public let event: Event
    public let plugin: String
    public let source: String
    public let subject: String
    public let lineage: EventLineage
    public private(set) var count = 0

    public init<P>(_ incoming: Incoming<P>, host: PluginHost, plugin: String, source: String) {
        event = incoming.event
        self.host = host
        self.plugin = plugin
        self.source = source
        subject = incoming.userId
        lineage = incoming.envelope.lineage
    }

    public func produce<P: Encodable>(topic: String, type: String, payload: P) throws {
        let outgoing = OutgoingEvent(id: event.followUpID(count, plugin: plugin), type: type, source: source,
                                     subject: subject, payload: payload, after: lineage)
        count += 1
        try host.produce(outgoing, topic: topic, key: Array(subject.utf8), after: lineage)
    }

    /// Requests an email to the event's user (`notification.requested` on `topic`).
    public func notify(topic: String, _ template: String, _ data: [String: String]) throws {
        try produce(topic: topic, type: "notification.requested",
                    payload: NotificationRequested(userId: subject, template: template, data: data))
    }
}

/// Publishes one source event's follow-ups, each kind at a fixed index, so
/// its id is the same whichever other follow-ups the event produced, and the
/// same again on redelivery (mission, payment).
public struct FollowUpPublisher {
    public let host: PluginHost
    public let plugin: String
    public let source: String
    public let notificationTopic: String

    public init(host: PluginHost, plugin: String, source: String, notificationTopic: String) {
        self.host = host
        self.plugin = plugin
        self.source = source
        self.notificationTopic = notificationTopic
    }

    /// - Throws: `.retry` when the host could not queue the event.
    public func publish<Source: UserPayload, Payload: Encodable>(
        _ payload: Payload, type: String, topic: String, index: Int, after source: Incoming<Source>
    ) throws(HandlingFailure) {
        let lineage = source.envelope.lineage
        let envelope = OutgoingEvent(id: source.event.followUpID(index, plugin: plugin), type: type, source: self.source,
                                     subject: source.userId, payload: payload, after: lineage)
        do {
            try host.produce(envelope, topic: topic, key: Array(source.userId.utf8), after: lineage)
        } catch {
            throw .retry("producing \(type) on \(topic) failed: \(error)")
        }
    }

    /// Requests an email to the source event's user.
    public func notify<Source: UserPayload>(_ template: String, _ data: [String: String], index: Int,
                                            after source: Incoming<Source>) throws(HandlingFailure) {
        try publish(NotificationRequested(userId: source.userId, template: template, data: data),
                    type: "notification.requested", topic: notificationTopic, index: index, after: source)
    }
}

/// Every notification a service plugin requests is written on the event's path: directly, in key order.
extension NotificationRequested: JSONObjectEncodable {
    public func encodeJSON(into object: inout JSONObject) throws {
        object.add("channel", channel)
        try object.add("data", data)
        object.add("template", template)
        object.add("userId", userId)
    }
}
