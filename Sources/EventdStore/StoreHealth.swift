// Whether the daemon reaches its shared stores. A store that lost its database
// (PostgreSQL restarted, network cut) reports it here, and reports its recovery
// with its next successful statement; meanwhile delivery holds the partitions
// whose events need it paused (nothing fails or is dead-lettered for it).
import Foundation

public final class StoreHealth: @unchecked Sendable {
    /// Why and since when a store is unreachable.
    public struct Degradation: Sendable, Equatable {
        public var reason: String
        public var since: Date
    }

    /// The process's stores report here (they are opened deep inside the plugin registry); the daemon listens.
    public static let shared = StoreHealth()

    private let lock = NSLock()
    private var lost: [String: Degradation] = [:]
    private var listener: @Sendable () -> Void = {}
    private let changes = DispatchQueue(label: "store-health-changes")

    /// The earliest current degradation (with every unreachable store named), nil while all are reachable.
    public var degradation: Degradation? {
        lock.withLock {
            guard let first = lost.values.min(by: { $0.since < $1.since }) else { return nil }
            let names = lost.keys.sorted().joined(separator: ", ")
            return Degradation(reason: "store unreachable (\(names)): \(first.reason)", since: first.since)
        }
    }

    /// Calls `body` (on a queue of its own, in order) after every change.
    public func onChange(_ body: @escaping @Sendable () -> Void) { lock.withLock { listener = body } }

    func unreachable(_ store: String, reason: String) {
        lock.withLock {
            guard lost[store] == nil else { return }
            lost[store] = Degradation(reason: reason, since: Date())
            let listener = self.listener
            changes.async { listener() }
        }
    }

    func reachable(_ store: String) {
        lock.withLock {
            guard lost.removeValue(forKey: store) != nil else { return }
            let listener = self.listener
            changes.async { listener() }
        }
    }
}
