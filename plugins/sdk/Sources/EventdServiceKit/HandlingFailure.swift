// Why a handler stopped, and how a service handler's errors become outcomes.
import EventdCatalog
import EventdPluginSDK
import Foundation

/// A handler's failure, mapped one to one onto `Outcome`.
public enum HandlingFailure: Error, Equatable {
    /// Permanent: malformed input or a corrupt state document. The event is dead-lettered.
    case reject(String)
    /// Transient: a host call failed. The event is delivered again.
    case retry(String)

    public var outcome: Outcome {
        switch self {
        case .reject(let reason): .reject(reason)
        case .retry(let reason): .retry(reason)
        }
    }

    /// The outcome of any error a service handler throws: a `HandlingFailure`
    /// as it says; a decoding error, a `Rejection` or a corrupt document a
    /// reject naming the event; anything else (the host could not read, write
    /// or produce) a retry.
    public static func outcome(of error: any Error, handling event: Event) -> Outcome {
        switch error {
        case let failure as HandlingFailure: failure.outcome
        case is EventDecodingError, is Rejection, is StateError: .reject("\(event.name): \(error)")
        default: .retry("\(event.name): \(error)")
        }
    }
}

extension Handler {
    /// A service-grade table line: decodes the payload strictly by `rules`
    /// (`Incoming`), runs `body` on the plugin, and turns what it throws into
    /// the outcome (`HandlingFailure.outcome(of:handling:)`):
    ///
    ///     .service("mission.started", group: missionGroup, MyPlugin.missionStarted)
    public static func service<Payload: UserPayload>(
        _ eventName: String, group: String, rules: PayloadRules = .keySafe,
        _ body: @escaping @Sendable (Plugin) -> (Incoming<Payload>) throws -> Void
    ) -> Handler {
        event(eventName, group: group) { plugin in { event in try body(plugin)(Incoming(event, rules: rules)) } }
    }

    /// A table line for a handler that decodes the event itself.
    public static func event(
        _ eventName: String, group: String, _ body: @escaping @Sendable (Plugin) -> (Event) throws -> Void
    ) -> Handler {
        Handler(eventName, group: group) { plugin, event in
            do {
                try body(plugin)(event)
                return .ok
            } catch {
                return HandlingFailure.outcome(of: error, handling: event)
            }
        }
    }
}

/// Striped locks keyed by user id.
///
/// The daemon orders one user's events within a partition, but a plugin's
/// consumer groups run concurrently, and several of them may update the same
/// `<kind>/<userId>` document. Holding the user's stripe from the first read to
/// the last write keeps those updates from overwriting each other.
public final class UserLocks: Sendable {
    private let stripes: [NSLock]

    public init(count: Int = 64) {
        stripes = (0..<count).map { _ in NSLock() }
    }

    public func withLock<R>(_ userId: String, _ body: () throws(HandlingFailure) -> R) throws(HandlingFailure) -> R {
        // FNV-1a: stable across runs, unlike `hashValue`.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in userId.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let lock = stripes[Int(hash % UInt64(stripes.count))]
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

/// A user's document that remembers the ids of the latest events applied to
/// it, newest last: a redelivered event found there has had all its effects.
public protocol RemembersEvents: Codable {
    /// How many event ids the document keeps.
    static var recentEventLimit: Int { get }
    var recentEvents: [String] { get set }
}

extension RemembersEvents {
    public func hasApplied(_ eventId: String) -> Bool { recentEvents.contains(eventId) }

    public mutating func remember(_ eventId: String) {
        appendBounded(&recentEvents, eventId, limit: Self.recentEventLimit)
    }
}

extension StateDocuments {
    /// Runs `change` under the user's lock on the document at `key` (made by
    /// `create` when there is none) and saves it last, with the event
    /// remembered. A redelivered event the document remembers changes nothing.
    ///
    /// `change` publishes its follow-ups and writes its other documents first,
    /// idempotently: if anything fails before the document is saved, the event
    /// comes again, the follow-ups are re-sent with the same ids (dropped
    /// downstream as duplicates) and the writes repeat harmlessly.
    public func applyOnce<Document: RemembersEvents, P: UserPayload>(
        _ source: Incoming<P>, key: String, locks: UserLocks, create: () -> Document,
        _ change: (inout Document, _ created: Bool) throws(HandlingFailure) -> Void
    ) throws(HandlingFailure) {
        try locks.withLock(source.userId) { () throws(HandlingFailure) in
            let existing = try load(Document.self, key)
            var document = existing ?? create()
            guard !document.hasApplied(source.eventId) else {
                host.log(.debug, "event already applied", ["event_id": source.eventId, "user_id": source.userId])
                return
            }
            try change(&document, existing == nil)
            document.remember(source.eventId)
            try save(document, key)
        }
    }
}
