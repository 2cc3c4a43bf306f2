// The protocol a Swift plugin conforms to, and the values it exchanges with the host.
import CEventdPlugin

/// One (event name, consumer group) claim. `"*"` as the event name claims every
/// event on the topics the plugin's configuration binds it to.
public struct Subscription: Sendable, Equatable {
    public var eventName: String
    public var consumerGroup: String
    public init(_ eventName: String, group: String) {
        self.eventName = eventName
        self.consumerGroup = group
    }
}

/// What a handler decided about one event.
public enum Outcome: Sendable, Equatable {
    /// Handled; the host may commit the offset.
    case ok
    /// Transient failure; the host retries later.
    case retry(String)
    /// Permanent failure; the host dead-letters the event.
    case reject(String)
}

/// A Kafka record header.
public struct Header: Sendable, Equatable {
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

/// One event as the host routed it.
public struct Event: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var timestampMs: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [Header]
    /// The canonical event name, aliases already resolved.
    public var name: String
    /// The event id (`eventId` or `ce_id`); empty when the record carries none.
    public var id: String
    public var consumerGroup: String
    /// This call's attempt at the event (1, 2, ...), counted over the host's
    /// in-memory retries and its retry tiers.
    public var attempt: Int
    /// How many more attempts the host makes if this call returns `.retry`
    /// (its retry policy for the handler); 0: a `.retry` now dead-letters the
    /// event, so a handler with a last word (a final-failure event) says it now.
    public var attemptsLeft: Int

    public init(topic: String, partition: Int32 = 0, offset: Int64 = 0, timestampMs: Int64 = -1,
                key: [UInt8]? = nil, value: [UInt8]?, headers: [Header] = [],
                name: String, id: String, consumerGroup: String, attempt: Int = 1, attemptsLeft: Int = 0) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestampMs = timestampMs
        self.key = key
        self.value = value
        self.headers = headers
        self.name = name
        self.id = id
        self.consumerGroup = consumerGroup
        self.attempt = attempt
        self.attemptsLeft = attemptsLeft
    }

    /// The value of the first header with this name.
    public func header(_ name: String) -> [UInt8]? {
        headers.first { $0.name == name }?.value ?? nil
    }
}

/// A plugin: one type conforming to this protocol plus one export line:
///
///     @_cdecl("devtrip_eventd_plugin_v1")
///     public func entry() -> UnsafeRawPointer { PluginExport.register(MyPlugin.self) }
public protocol EventPlugin: AnyObject {
    static var name: String { get }
    static var version: String { get }
    static var subscriptions: [Subscription] { get }
    /// Whether other plugins may claim the same (event, group). Default `false`.
    static var sharesClaims: Bool { get }
    /// Whether the host runs each `handle` in a transaction with the plugin's
    /// state, its produced events and the idempotency ledger (effects once per
    /// event id and consumer group). Default `false`.
    static var transactional: Bool { get }

    /// Creates the instance.
    /// - Parameters:
    ///   - host: the host's functions: log, produce, state.
    ///   - settings: the plugin's `[settings]` table.
    /// - Throws: any error refuses the load; its description is logged.
    init(host: PluginHost, settings: PluginSettings) throws

    /// Handles one event. Called concurrently for different partitions.
    func handle(_ event: Event) -> Outcome

    /// Called once before the instance is released.
    func shutdown()
}

extension EventPlugin {
    public static var sharesClaims: Bool { false }
    public static var transactional: Bool { false }
    public func shutdown() {}
}
