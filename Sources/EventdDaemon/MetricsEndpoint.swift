// A minimal HTTP/1.1 responder for Prometheus scrapes on a loopback address:
// GET /metrics and nothing else. swift-nio would cost more build time than
// this one path is worth.
import Foundation
import Logging

final class MetricsEndpoint: @unchecked Sendable {
    let address: String
    let port: UInt16
    private let fd: Int32
    private let exposition: @Sendable () -> String
    private let lock = NSLock()
    private var running = true

    /// Listens on `listen` ("127.0.0.1:9464" or "[::1]:9464").
    /// - Throws: `DaemonError` for a non-loopback or unusable address.
    init(listen: String, logger: Logger, exposition: @escaping @Sendable () -> String) throws {
        self.exposition = exposition
        let (host, port) = try Self.parse(listen)
        self.address = host
        let ipv6 = host.contains(":")
        let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DaemonError("metrics socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var bound: Int32
        if ipv6 {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = port.bigEndian
            inet_pton(AF_INET6, host, &addr.sin6_addr)
            bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &addr.sin_addr)
            bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        guard bound == 0, Glibc.listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw DaemonError("metrics endpoint \(listen): \(reason)")
        }
        var actual = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.fd = fd
        self.port = withUnsafePointer(to: &actual) { pointer in
            ipv6 ? UInt16(bigEndian: pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port })
                 : UInt16(bigEndian: pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port })
        }
        let thread = Thread { [self] in serve() }
        thread.name = "metrics-http"
        thread.start()
        logger.notice("metrics endpoint listening", metadata: ["url": "http://\(ipv6 ? "[\(host)]" : host):\(self.port)/metrics"])
    }

    /// Splits "host:port" and insists on a loopback host.
    static func parse(_ listen: String) throws -> (String, UInt16) {
        var host: Substring, portText: Substring
        if listen.hasPrefix("[") {
            guard let close = listen.firstIndex(of: "]") else { throw DaemonError("metrics listen '\(listen)': missing ']'") }
            host = listen[listen.index(after: listen.startIndex)..<close]
            portText = listen[listen.index(after: close)...].dropFirst()
        } else {
            guard let colon = listen.lastIndex(of: ":") else { throw DaemonError("metrics listen '\(listen)' needs host:port") }
            host = listen[..<colon]
            portText = listen[listen.index(after: colon)...]
        }
        if host == "localhost" { host = "127.0.0.1" }
        guard let port = UInt16(portText) else { throw DaemonError("metrics listen '\(listen)': bad port") }
        let loopback = host == "::1" || (host.split(separator: ".").count == 4 && host.hasPrefix("127."))
        guard loopback else { throw DaemonError("metrics listen '\(listen)': only loopback addresses (127.0.0.0/8, ::1) are allowed") }
        return (String(host), port)
    }

    func stop() {
        lock.withLock { running = false }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func serve() {
        while lock.withLock({ running }) {
            let client = accept(fd, nil, nil)
            guard client >= 0 else {
                if errno == EINTR { continue }
                return
            }
            var tv = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var request = MetricsRequest()
            var buffer = [UInt8](repeating: 0, count: 2048)
            while request.wantsMore {
                let n = recv(client, &buffer, buffer.count, 0)
                if n <= 0 { break }
                request.append(buffer[0..<n])
            }
            let response = request.response(exposition: exposition)
            var bytes = Array(response.utf8)
            var sent = 0
            while sent < bytes.count {
                let n = bytes.withUnsafeMutableBytes { send(client, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { break }
                sent += n
            }
            close(client)
        }
    }
}
