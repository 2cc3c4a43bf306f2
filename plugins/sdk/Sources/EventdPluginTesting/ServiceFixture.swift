// Test support the service plugins' tests share: JSON envelopes as the
// catalog's producers write them, a fixture that sends them to a loaded
// plugin, and checks of what the plugin produced.
import CEventdPlugin
import EventdPluginSDK
import Foundation
import Testing

/// A JSON envelope as the catalog's producers write it. `at` is usually an
/// RFC 3339 string; any JSON value tests the envelope's decoding.
public func envelopeJSON(id: String, type: String, at: Any, subject: String?, payload: Any) -> [UInt8] {
    var object: [String: Any] = ["eventId": id, "eventType": type, "occurredAt": at, "source": "test", "payload": payload]
    if let subject { object["subject"] = subject }
    return Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
}

/// A produced record, its JSON envelope parsed.
public struct ProducedEnvelope {
    public let topic: String
    public let key: String
    public let envelope: [String: Any]
    /// The record's `traceparent` header.
    public let traceparent: String?
    public var eventId: String { envelope["eventId"] as? String ?? "" }
    public var eventType: String { envelope["eventType"] as? String ?? "" }
    public var payload: [String: Any] { envelope["payload"] as? [String: Any] ?? [:] }
    public var template: String { payload["template"] as? String ?? "" }
    public var data: [String: String] { payload["data"] as? [String: String] ?? [:] }

    public init(_ record: ProducedEvent) {
        topic = record.topic
        key = String(decoding: record.key ?? [], as: UTF8.self)
        envelope = (try? JSONSerialization.jsonObject(with: Data(record.value ?? []))) as? [String: Any] ?? [:]
        traceparent = record.header(LineageField.traceparentHeader)
    }
}

/// A payload as a test argument (parameterized tests need `Sendable` arguments).
public struct TestPayload: @unchecked Sendable, ExpressibleByDictionaryLiteral, CustomTestStringConvertible {
    public let fields: [String: Any]
    public init(dictionaryLiteral elements: (String, Any)...) { fields = Dictionary(uniqueKeysWithValues: elements) }
    public var testDescription: String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
    }
}

/// A service plugin loaded in a test host, sending one user's events on the
/// topics and groups the test names.
open class ServiceFixture {
    /// The user of the events these fixtures send.
    public static let defaultUser = "u-1"
    public let host = TestHost()
    public let userId: String
    let topic: (String) -> String
    let group: (String) -> String

    /// - Parameters:
    ///   - entry: the plugin's `devtrip_eventd_plugin_v1()`.
    ///   - topic, group: the topic and consumer group each event name travels on.
    public init(entry: UnsafeRawPointer, settings: String = "{}", userId: String = defaultUser,
                topic: @escaping (String) -> String, group: @escaping (String) -> String) throws {
        self.userId = userId
        self.topic = topic
        self.group = group
        try host.load(entry, settings: settings)
    }

    /// Sends `name` with `payload` (a JSON object, or any JSON value for malformed cases).
    @discardableResult
    public func send(_ name: String, id: String, at: String = TestTime(0).text, subject: String? = defaultUser, payload: Any,
                     topic explicitTopic: String? = nil) -> Outcome {
        host.handle(Event(topic: explicitTopic ?? topic(name), partition: 0, offset: 0, key: Array(userId.utf8),
                          value: envelopeJSON(id: id, type: name, at: at, subject: subject, payload: payload),
                          name: name, id: id, consumerGroup: group(name)))
    }

    public func sendRaw(_ name: String, id: String, value: [UInt8]?, headers: [Header] = []) -> Outcome {
        host.handle(Event(topic: topic(name), key: Array(userId.utf8), value: value, headers: headers,
                          name: name, id: id, consumerGroup: group(name)))
    }

    /// A stored JSON document.
    public func doc(_ key: String) -> [String: Any]? {
        guard let text = host.stateString(key) else { return nil }
        return try! JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    public var produced: [ProducedEnvelope] { host.produced.map(ProducedEnvelope.init) }

    public func clearProduced() { host.produced.removeAll() }

    /// Expects a reject with `message` that left no state and produced nothing.
    public func expectRejected(_ outcome: Outcome, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        host.expectRejected(outcome, message, sourceLocation: sourceLocation)
    }

    /// Sends `payload` as `name` (event `e-1`), then the same facts again under
    /// a new event id (`e-2`, a re-published copy): the copy is acknowledged,
    /// changes no state and produces nothing.
    public func expectCountedOnce(_ name: String, _ payload: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) {
        send(name, id: "e-1", at: TestTime(0).text, payload: payload)
        let before = host.state
        clearProduced()
        #expect(send(name, id: "e-2", at: TestTime(10).text, payload: payload) == .ok, sourceLocation: sourceLocation)
        #expect(host.state == before, sourceLocation: sourceLocation)
        #expect(produced.isEmpty, sourceLocation: sourceLocation)
    }
}

extension TestHost {
    /// Expects a reject with `message` that left no state and produced nothing.
    public func expectRejected(_ outcome: Outcome, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(outcome == .reject(message), sourceLocation: sourceLocation)
        #expect(state.isEmpty, sourceLocation: sourceLocation)
        #expect(produced.isEmpty, sourceLocation: sourceLocation)
    }
}

/// Checks the envelope every follow-up carries: topic, key and subject (the
/// user), type, deterministic id, source and time, and — when `cause` (the
/// id of the event it follows, which started its chain) is given — its
/// causation, correlation and trace. A follow-up occurs when it is produced:
/// after its cause (`occurredAt`, the cause's time) and within the last minute.
public func expectEnvelope(_ p: ProducedEnvelope, id: String, type: String, topic: String, user: String, source: String,
                           occurredAt: String, cause: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(p.topic == topic, sourceLocation: sourceLocation)
    #expect(p.key == user, sourceLocation: sourceLocation)
    #expect(p.eventType == type, sourceLocation: sourceLocation)
    #expect(p.eventId == id, sourceLocation: sourceLocation)
    #expect(p.envelope["source"] as? String == source, sourceLocation: sourceLocation)
    #expect(p.envelope["subject"] as? String == user, sourceLocation: sourceLocation)
    func date(_ text: String) -> Date? {
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }
    let happened = (p.envelope["occurredAt"] as? String).flatMap(date)
    #expect(happened.map { $0 >= (date(occurredAt) ?? .distantPast) && abs($0.timeIntervalSinceNow) < 60 } == true,
            "occurredAt \(p.envelope["occurredAt"] ?? "none") is the time the follow-up was produced", sourceLocation: sourceLocation)
    guard let cause else { return }
    #expect(p.envelope[LineageField.causationId] as? String == cause, sourceLocation: sourceLocation)
    #expect(p.envelope[LineageField.correlationId] as? String == cause, sourceLocation: sourceLocation)
    let expected = EventLineage(eventId: cause, correlationId: nil, traceparent: nil).childTrace(followUpId: id)
    #expect(p.traceparent == expected.description, sourceLocation: sourceLocation)
}

/// Checks a `notification.requested` payload: an email to `user`.
public func expectNotificationPayload(_ p: ProducedEnvelope, user: String, template: String, data: [String: String],
                                      sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(p.payload["userId"] as? String == user, sourceLocation: sourceLocation)
    #expect(p.payload["channel"] as? String == "email", sourceLocation: sourceLocation)
    #expect(p.template == template, sourceLocation: sourceLocation)
    #expect(p.data == data, sourceLocation: sourceLocation)
}

/// A test time: `seconds` after 2025-03-01T09:00:00Z.
public struct TestTime {
    public let date: Date
    public init(_ seconds: Int) { date = Date(timeIntervalSince1970: 1_740_819_600 + TimeInterval(seconds)) }
    /// RFC 3339 without fractional seconds, as the catalog's producers write it.
    public var text: String { ISO8601DateFormatter().string(from: date) }
    /// The form the plugins write (milliseconds).
    public var written: String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }
}

/// The id `plugin` gives its `index`-th follow-up of the event with id `eventId`.
public func followUpID(of eventId: String, _ index: Int, plugin: String) -> String {
    Event(topic: "", value: nil, name: "", id: eventId, consumerGroup: "").followUpID(index, plugin: plugin)
}

/// Table-driven decoding checks of one handled event, each on a fresh fixture:
/// a reject with the decoder's precise message and no effects.
public enum DecodingChecks {
    /// Every field not in `optional` is required.
    public static func requiredFields(_ name: String, _ valid: [String: Any], optional: Set<String>,
                                      fixture: () throws -> ServiceFixture, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for field in valid.keys.sorted() where !optional.contains(field) {
            let f = try fixture()
            var payload = valid
            payload.removeValue(forKey: field)
            f.expectRejected(f.send(name, id: "e-1", payload: payload), "\(name): missing field 'payload.\(field)'",
                             sourceLocation: sourceLocation)
        }
    }

    /// Every field must have its type: a string, a boolean or an integer.
    public static func fieldTypes(_ name: String, _ valid: [String: Any], fixture: () throws -> ServiceFixture,
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
        for (field, value) in valid.sorted(by: { $0.key < $1.key }) {
            let f = try fixture()
            let (wrong, kind): (Any, String) = value is String ? (42, "a string") : value is Bool ? ("yes", "a boolean") : ("12", "an integer")
            var payload = valid
            payload[field] = wrong
            f.expectRejected(f.send(name, id: "e-1", payload: payload), "\(name): field 'payload.\(field)' must be \(kind)",
                             sourceLocation: sourceLocation)
        }
    }

    /// The subject must be the payload's user, whose id must be non-empty and free of '/' (`unsafeUserId` has one).
    public static func subjectAndUserId(_ name: String, _ valid: [String: Any], unsafeUserId: String,
                                        fixture: () throws -> ServiceFixture, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var f = try fixture()
        f.expectRejected(f.send(name, id: "e-1", subject: "u-2", payload: valid),
                         "\(name): envelope subject 'u-2' does not match payload.userId 'u-1'", sourceLocation: sourceLocation)
        f = try fixture()
        var payload = valid
        payload["userId"] = ""
        f.expectRejected(f.send(name, id: "e-1", subject: nil, payload: payload), "\(name): field 'payload.userId' must not be empty",
                         sourceLocation: sourceLocation)
        f = try fixture()
        payload["userId"] = unsafeUserId
        f.expectRejected(f.send(name, id: "e-1", subject: nil, payload: payload),
                         "\(name): field 'payload.userId' must not contain '/', got '\(unsafeUserId)'", sourceLocation: sourceLocation)
    }
}

extension TestHost {
    /// Hands `event` to the plugin and expects a reject with `message` that left no state and produced nothing.
    public func expectRejected(_ event: Event, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        expectRejected(handle(event), message, sourceLocation: sourceLocation)
    }

    /// The loaded plugin's claims, each as "<event><separator><group>".
    public func claims(separator: String = "@") -> [String] {
        let d = descriptor
        return (0..<d.subscription_count).map {
            "\(String(cString: d.subscriptions[$0].event_name))\(separator)\(String(cString: d.subscriptions[$0].consumer_group))"
        }
    }
}

extension TestHost {
    /// Hands `event` to the plugin twice, both `.ok`, and expects the second
    /// delivery to have changed no state, with `produced` events in all.
    public func expectRedeliveryHasNoEffect(_ event: Event, produced count: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(handle(event) == .ok, sourceLocation: sourceLocation)
        let before = state
        #expect(handle(event) == .ok, sourceLocation: sourceLocation)
        #expect(state == before, sourceLocation: sourceLocation)
        #expect(produced.count == count, sourceLocation: sourceLocation)
    }

    /// Expects the loaded plugin to be `name` `version`, transactional or not, and not sharing claims.
    public func expectDescriptor(name: String, version: String, transactional: Bool = true,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
        let d = descriptor
        #expect(String(cString: d.name) == name, sourceLocation: sourceLocation)
        #expect(String(cString: d.version) == version, sourceLocation: sourceLocation)
        #expect((d.flags & DTE_PLUGIN_TRANSACTIONAL != 0) == transactional, sourceLocation: sourceLocation)
        #expect(d.flags & DTE_PLUGIN_SHARED_CLAIMS == 0, sourceLocation: sourceLocation)
    }
}

/// An event whose value is `value` as is (not an envelope), for malformed cases.
public func rawEvent(_ name: String, id: String = "e-raw", value: String) -> Event {
    Event(topic: "test-events", value: Array(value.utf8), name: name, id: id, consumerGroup: "g")
}

/// A JSON-envelope event of `userId` as the daemon routes it to a plugin
/// claiming `claims`: the consumer group is the claim's for `name` unless given.
public func envelopeEvent(_ name: String, id: String, at occurredAt: Any, subject: String?, userId: String, group: String?,
                          payload: [String: Any], claims: [Subscription]) -> Event {
    Event(topic: "test-events", key: Array(userId.utf8),
          value: envelopeJSON(id: id, type: name, at: occurredAt, subject: subject, payload: payload), name: name, id: id,
          consumerGroup: group ?? claims.first { $0.eventName == name }?.consumerGroup ?? "g")
}

/// RFC 3339 text `seconds` after 2025-03-01T09:00:00Z (`TestTime`).
public func time(_ seconds: Int) -> String { TestTime(seconds).text }

/// Checks of one plugin's follow-ups: the envelope every follow-up carries
/// (`expectEnvelope`) with the plugin's deterministic ids, and notifications.
public struct FollowUpChecks: Sendable {
    public let plugin, source, user: String
    /// The time of the events followed up unless a check names another (a follow-up occurs after it).
    public let occurredAt: String

    public init(plugin: String, source: String, user: String, occurredAt: String = "") {
        (self.plugin, self.source, self.user, self.occurredAt) = (plugin, source, user, occurredAt)
    }

    /// The `index`-th follow-up of `event`.
    public func followUp(_ p: ProducedEnvelope, of event: Event, index: Int, type: String, topic: String,
                         occurredAt: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        expectEnvelope(p, id: event.followUpID(index, plugin: plugin), type: type, topic: topic, user: user, source: source,
                       occurredAt: occurredAt ?? self.occurredAt, cause: event.id, sourceLocation: sourceLocation)
    }

    /// The `index`-th follow-up of the event with id `eventId`, which occurred at `at`.
    public func followUp(_ p: ProducedEnvelope, source eventId: String, index: Int, at: TestTime, type: String, topic: String,
                         sourceLocation: SourceLocation = #_sourceLocation) {
        expectEnvelope(p, id: followUpID(of: eventId, index, plugin: plugin), type: type, topic: topic, user: user, source: source,
                       occurredAt: at.written, cause: eventId, sourceLocation: sourceLocation)
    }

    /// The `index`-th follow-up of `event`, a notification.
    public func notification(_ p: ProducedEnvelope, of event: Event, index: Int, template: String, data: [String: String],
                             topic: String = "notification-events", occurredAt: String? = nil,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        followUp(p, of: event, index: index, type: "notification.requested", topic: topic, occurredAt: occurredAt,
                 sourceLocation: sourceLocation)
        expectNotificationPayload(p, user: user, template: template, data: data, sourceLocation: sourceLocation)
    }

    /// The `index`-th follow-up of the event with id `eventId`, a notification.
    public func notification(_ p: ProducedEnvelope, source eventId: String, index: Int, at: TestTime, template: String,
                             data: [String: String], topic: String = "notification-events",
                             sourceLocation: SourceLocation = #_sourceLocation) {
        followUp(p, source: eventId, index: index, at: at, type: "notification.requested", topic: topic, sourceLocation: sourceLocation)
        expectNotificationPayload(p, user: user, template: template, data: data, sourceLocation: sourceLocation)
    }
}
