// Every raw socket call of the control plane, each turning errno into a typed error.
import CEventdSocket
import Foundation

public struct SystemError: Error, CustomStringConvertible, Sendable, Equatable {
    public let call: String
    public let errno: Int32
    public var description: String { "\(call): \(String(cString: strerror(errno)))" }
}

/// The credentials of the process on the other end of a Unix socket.
public struct PeerCredentials: Sendable, Equatable {
    public let pid: Int32
    public let uid: UInt32
    public let gid: UInt32
    public init(pid: Int32, uid: UInt32, gid: UInt32) { (self.pid, self.uid, self.gid) = (pid, uid, gid) }
}

/// A connected or listening Unix stream socket; closes itself.
public final class UnixSocket: @unchecked Sendable {
    public let fd: Int32

    init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    private static func check(_ result: Int32, _ call: String) throws(SystemError) {
        if result < 0 { throw SystemError(call: call, errno: errno) }
    }

    private static func address(_ path: String) throws(SystemError) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw SystemError(call: "socket path too long", errno: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return addr
    }

    /// Binds and listens on `path`, replacing a stale socket file.
    /// - Throws: `SystemError` (EADDRINUSE) when another process still listens
    ///   on `path` (a second daemon with the same control socket would cut the first off).
    public static func listen(path: String, mode: mode_t, backlog: Int32 = 16) throws(SystemError) -> UnixSocket {
        if (try? connect(path: path)) != nil { throw SystemError(call: "bind \(path) (another process listens there)", errno: EADDRINUSE) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try check(fd, "socket")
        let sock = UnixSocket(fd: fd)
        unlink(path)
        var addr = try address(path)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try check(bound, "bind \(path)")
        try check(chmod(path, mode), "chmod \(path)")
        try check(Glibc.listen(fd, backlog), "listen")
        return sock
    }

    /// Connects to the socket at `path`.
    public static func connect(path: String) throws(SystemError) -> UnixSocket {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try check(fd, "socket")
        let sock = UnixSocket(fd: fd)
        var addr = try address(path)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try check(rc, "connect \(path)")
        return sock
    }

    public func accept() throws(SystemError) -> UnixSocket {
        while true {
            let client = eventd_accept_cloexec(fd)
            if client >= 0 { return UnixSocket(fd: client) }
            if errno == EINTR { continue }
            throw SystemError(call: "accept", errno: errno)
        }
    }

    public func peerCredentials() throws(SystemError) -> PeerCredentials {
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
        try Self.check(eventd_peer_credentials(fd, &pid, &uid, &gid), "getsockopt(SO_PEERCRED)")
        return PeerCredentials(pid: pid, uid: uid, gid: gid)
    }

    public func setReceiveTimeout(seconds: Double) throws(SystemError) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        try Self.check(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size)), "setsockopt(SO_RCVTIMEO)")
    }

    public func shutdownBoth() { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    public func writeAll(_ data: Data) throws(SystemError) {
        var offset = 0
        while offset < data.count {
            let n = data.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError(call: "send", errno: errno)
            }
            offset += n
        }
    }

    /// Reads into `buffer`; returns 0 at end of stream.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw SystemError(call: "recv", errno: errno)
        }
    }
}

/// Splits a byte stream into newline-terminated lines, with a length limit.
public struct LineReader {
    public enum Line: Equatable {
        case line(Data)
        case tooLong
        case endOfStream(partial: Data)
        case timedOut(partial: Data)
    }

    private let socket: UnixSocket
    private var pending = Data()
    private let limit: Int

    public init(socket: UnixSocket, limit: Int) {
        self.socket = socket
        self.limit = limit
    }

    /// The next line. With `deadlines`, a line that has not begun by the
    /// first or is not complete by the second ends as `.timedOut`, however
    /// slowly its bytes trickle in (otherwise the socket's own receive timeout
    /// applies to each read).
    public mutating func next(deadlines: (firstByte: ContinuousClock.Instant, complete: ContinuousClock.Instant)? = nil) throws(SystemError) -> Line {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                let line = pending[pending.startIndex..<newline]
                pending = Data(pending[(newline + 1)...])
                return line.count > limit ? .tooLong : .line(Data(line))
            }
            if pending.count > limit { return .tooLong }
            if let deadlines {
                let left = (pending.isEmpty ? deadlines.firstByte : deadlines.complete) - .now
                guard left > .zero else { return .timedOut(partial: pending) }
                try socket.setReceiveTimeout(seconds: max(0.001, Double(left.components.seconds) + Double(left.components.attoseconds) * 1e-18))
            }
            let n = chunk.withUnsafeMutableBytes { raw in
                Result { () throws(SystemError) -> Int in try socket.read(into: raw) }
            }
            let count: Int
            switch n {
            case .success(let read): count = read
            case .failure(let error) where error.errno == EAGAIN || error.errno == EWOULDBLOCK:
                return .timedOut(partial: pending)
            case .failure(let error): throw error
            }
            if count == 0 { return .endOfStream(partial: pending) }
            pending.append(contentsOf: chunk[0..<count])
        }
    }
}
