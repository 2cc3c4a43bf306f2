// Which daemon process holds a lease, and what asking for one returned.
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

    public init(id: String, host: String, pid: Int32) { (self.id, self.host, self.pid) = (id, host, pid) }

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

