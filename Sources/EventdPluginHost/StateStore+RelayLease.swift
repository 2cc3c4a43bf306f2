// The lease on publishing a store's outbox. Daemons that share a state
// directory share each plugin's outbox; exactly one of them (the holder)
// publishes it, so a row goes out once and rows go out in commit order. The
// holder renews the lease while it lives; a holder that died (its pid is gone
// on this host) or stopped renewing (the lease expired) is replaced.
import CSQLite
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One daemon process as other processes on the host can recognise it.
public struct RelayOwner: Sendable, Equatable {
    /// Unique per process start.
    public let id: String
    /// The host and its boot: a pid means something only within the same boot of the same host.
    public let host: String
    public let pid: Int32

    public init(id: String, host: String, pid: Int32) {
        self.id = id
        self.host = host
        self.pid = pid
    }

    /// This process.
    public static let current: RelayOwner = {
        var name = [UInt8](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        let hostname = String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
        let boot = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown-boot"
        let pid = getpid()
        return RelayOwner(id: "\(hostname) pid \(pid) \(UUID().uuidString.prefix(8))", host: "\(hostname)/\(boot)", pid: pid)
    }()

    /// Whether `pid` names a live process on this host (EPERM: alive, someone else's).
    public static func processIsAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}

/// The outcome of asking for the relay lease.
public struct RelayLease: Sendable, Equatable {
    /// The asker holds the lease until `expires`.
    public var held: Bool
    /// The holder's id (the asker's when `held`).
    public var holder: String
    /// When the holder's lease ends unless renewed.
    public var expires: Date
    /// Set when the asker took the lease from another owner: why, e.g. "pid 1234 is gone".
    public var takenOver: String?
}

extension StateStore {
    static let relayLeaseSchema = """
        CREATE TABLE IF NOT EXISTS relay_lease (id INTEGER PRIMARY KEY CHECK (id = 1), owner TEXT NOT NULL, \
        host TEXT NOT NULL, pid INTEGER NOT NULL, expires_ms INTEGER NOT NULL)
        """

    /// Takes or renews the lease on publishing this store's outbox for `duration`.
    /// Another owner's lease is taken over when it expired, when its process is
    /// gone from this host (a `kill -9` hands over at once), or when its expiry
    /// lies implausibly far ahead (the clock was set back).
    /// - Parameter isAlive: whether a pid of this host is alive (tests replace it).
    /// - Throws: `StateStoreError` (`isBusy` when other processes held the store too long).
    public func acquireRelayLease(_ owner: RelayOwner, for duration: TimeInterval, now: Date = Date(),
                                  isAlive: (Int32) -> Bool = RelayOwner.processIsAlive) throws -> RelayLease {
        let nowMs = Int64(now.timeIntervalSince1970 * 1000)
        let durationMs = Int64(duration * 1000)
        return try transaction {
            var current: (owner: String, host: String, pid: Int32, expiresMs: Int64)?
            try run("SELECT owner, host, pid, expires_ms FROM relay_lease WHERE id = 1", { _ in }, { stmt in
                current = (String(cString: sqlite3_column_text(stmt, 0)), String(cString: sqlite3_column_text(stmt, 1)),
                           sqlite3_column_int(stmt, 2), sqlite3_column_int64(stmt, 3))
            })
            var takenOver: String?
            if let current, current.owner != owner.id {
                let sameHost = current.host == owner.host
                if current.expiresMs <= nowMs {
                    takenOver = "its lease expired"
                } else if sameHost && (current.pid == owner.pid || !isAlive(current.pid)) {
                    // Our own pid on another owner id is an earlier incarnation of this process slot (a container's pid 1).
                    takenOver = "pid \(current.pid) is gone"
                } else if current.expiresMs > nowMs + 2 * durationMs {
                    takenOver = "its expiry lies in the future beyond any lease (clock set back)"
                } else {
                    let expires = Date(timeIntervalSince1970: Double(current.expiresMs) / 1000)
                    return (false, RelayLease(held: false, holder: current.owner, expires: expires))
                }
                takenOver = "from \(current.owner): \(takenOver!)"
            }
            try run("INSERT INTO relay_lease(id, owner, host, pid, expires_ms) VALUES(1, ?1, ?2, ?3, ?4) ON CONFLICT(id) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid, expires_ms = excluded.expires_ms", {
                sqlite3_bind_text($0, 1, owner.id, -1, Self.transient)
                sqlite3_bind_text($0, 2, owner.host, -1, Self.transient)
                sqlite3_bind_int($0, 3, owner.pid)
                sqlite3_bind_int64($0, 4, nowMs + durationMs)
            })
            return (true, RelayLease(held: true, holder: owner.id, expires: Date(timeIntervalSince1970: Double(nowMs + durationMs) / 1000),
                                     takenOver: takenOver))
        }
    }

    /// Gives the lease up (on a clean stop), so that another daemon takes over at once.
    public func releaseRelayLease(_ owner: RelayOwner) throws {
        _ = try transaction {
            try run("DELETE FROM relay_lease WHERE id = 1 AND owner = ?1", { sqlite3_bind_text($0, 1, owner.id, -1, Self.transient) })
            return (true, ())
        }
    }
}
