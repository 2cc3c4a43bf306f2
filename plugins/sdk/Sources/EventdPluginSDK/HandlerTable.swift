// A plugin's handler table: one line per (event, consumer group) claim, from
// which the SDK derives both `subscriptions` and the dispatch of `handle`, so
// an event is named once.

/// One line of a handler table: the claim and the function that handles it.
public struct Handler<Plugin: AnyObject>: Sendable {
    public let subscription: Subscription
    public let run: @Sendable (Plugin, Event) -> Outcome

    /// - Parameters:
    ///   - eventName: the canonical event name (`"*"` handles every event routed to the group).
    ///   - group: the consumer group.
    ///   - run: handles one event on the plugin instance.
    public init(_ eventName: String, group: String, _ run: @escaping @Sendable (Plugin, Event) -> Outcome) {
        subscription = Subscription(eventName, group: group)
        self.run = run
    }
}

/// A plugin that declares its handlers as a table:
///
///     public static let handlers: [Handler<MyPlugin>] = [
///         Handler("mission.started", group: "my-service-group") { plugin, event in plugin.missionStarted(event) },
///     ]
///
/// `subscriptions` and `handle` come from the table; an event no line names
/// gets `unhandled(_:)`.
public protocol HandlerTablePlugin: EventPlugin {
    static var handlers: [Handler<Self>] { get }
    /// The outcome of an event no line of the table names.
    func unhandled(_ event: Event) -> Outcome
}

extension HandlerTablePlugin {
    public static var subscriptions: [Subscription] { handlers.map(\.subscription) }

    public func handle(_ event: Event) -> Outcome {
        for line in Self.handlers where line.subscription.eventName == event.name || line.subscription.eventName == "*" {
            return line.run(self, event)
        }
        return unhandled(event)
    }

    /// Rejects: "<plugin> does not handle event '<name>'".
    public func unhandled(_ event: Event) -> Outcome {
        .reject("\(Self.name) does not handle event '\(event.name)'")
    }
}
