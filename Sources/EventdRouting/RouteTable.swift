// Which handlers of one consumer group receive an event on a topic.

/// A handler's claim as the route table needs it.
public struct RouteClaim<Target: Sendable>: Sendable {
    /// A canonical event name, or "*" for every catalog event.
    public var event: String
    /// Topics this claim listens on. For a named event, the catalog's topics
    /// unless overridden; for "*", the topics configured for the plugin.
    public var topics: [String]
    public var target: Target
    public init(event: String, topics: [String], target: Target) {
        self.event = event
        self.topics = topics
        self.target = target
    }
}

/// How a record's event name was found.
public enum EventNameSource: String, Sendable {
    case cloudEventsHeader = "ce_type"
    case envelope = "eventType"
    case topic
}

/// The routes of one consumer group: (topic, event) → handlers.
public struct RouteTable<Target: Sendable>: Sendable {
    public let catalog: EventCatalog
    /// The topics the group subscribes to, sorted.
    public let topics: [String]
    private let topicIndex: ByteKeyTable
    /// Per topic, the single event it carries when the topic is named after one.
    private let topicEvent: [EventName?]
    /// routes[topic * eventCount + event]
    private let routes: [[Target]]

    /// - Throws: `CatalogError` when a claim names an event the catalog does not know.
    public init(catalog: EventCatalog, claims: [RouteClaim<Target>]) throws(CatalogError) {
        self.catalog = catalog
        let topics = Array(Set(claims.flatMap(\.topics))).sorted()
        self.topics = topics
        topicIndex = ByteKeyTable(topics.enumerated().map { ($1, $0) })
        topicEvent = topics.map { catalog.event(named: $0) }
        let eventCount = catalog.events.count
        var routes = Array(repeating: [Target](), count: max(topics.count * eventCount, 1))
        for claim in claims {
            let events: [EventName]
            if claim.event == "*" {
                events = catalog.events
            } else {
                guard let event = catalog.event(named: claim.event) else {
                    throw CatalogError("no event '\(claim.event)' in the catalog")
                }
                events = [event]
            }
            for topic in claim.topics {
                let t = topics.firstIndex(of: topic)!
                for event in events {
                    // A wildcard takes an event only on topics the catalog says carry it.
                    if claim.event == "*" && !catalog.entries[event.index].topics.contains(topic) { continue }
                    routes[t * eventCount + event.index].append(claim.target)
                }
            }
        }
        self.routes = routes
    }

    /// The index of a subscribed topic.
    @inline(__always) public func topic(_ bytes: UnsafeRawBufferPointer) -> Int? { topicIndex.lookup(bytes) }
    public func topic(_ name: String) -> Int? { topicIndex.lookup(name) }

    /// The event a topic carries when it is named after a single event.
    @inline(__always) public func singleEvent(onTopic topic: Int) -> EventName? { topicEvent[topic] }

    /// The handlers for an event on a topic; empty when nobody subscribes.
    @inline(__always) public func targets(topic: Int, event: EventName) -> [Target] {
        routes[topic * catalog.events.count + event.index]
    }
}
