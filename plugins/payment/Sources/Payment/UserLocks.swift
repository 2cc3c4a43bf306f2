// Serialises one user's read-modify-write of state across consumer groups.
import Foundation

/// Striped locks keyed by user id.
///
/// The daemon orders one user's events within a partition, but this plugin's
/// consumer groups run concurrently, and several of them update the same
/// `<kind>/<userId>` document. Holding the user's stripe from the first read to
/// the last write keeps those updates from overwriting each other.
final class UserLocks: Sendable {
    private let stripes: [NSLock]

    init(count: Int = 64) {
        stripes = (0..<count).map { _ in NSLock() }
    }

    func withLock<R>(_ userId: String, _ body: () throws(HandlingFailure) -> R) throws(HandlingFailure) -> R {
        // FNV-1a: stable across runs, unlike `hashValue`.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in userId.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let lock = stripes[Int(hash % UInt64(stripes.count))]
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
