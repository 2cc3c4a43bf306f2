// The control socket: accepts local connections, checks who is asking, and
// answers one JSON line per request line.
import Foundation
import Logging

/// Executes control requests; the daemon implements it.
public protocol ControlHandler: AnyObject, Sendable {
    /// Answers a call the command table has checked.
    func handle(_ call: ControlCall, peer: PeerCredentials) -> ControlResponse
}

extension ControlHandler {
    /// Checks `request` against the command table, then answers it.
    public func handle(_ request: ControlRequest, peer: PeerCredentials) -> ControlResponse {
        do throws(ControlError) {
            return handle(try ControlCommands.call(for: request), peer: peer)
        } catch {
            return .failure(error)
        }
    }
}

public final class ControlServer: @unchecked Sendable {
    public let path: String
    let adminGroup: String
    let logger: Logger
    weak var handler: (any ControlHandler)?
    /// Applied to every answer before it leaves: hides configuration secrets.
    let redact: @Sendable (String) -> String
    private let listener: UnixSocket
    private let lock = NSLock()
    private var running = true
    /// Open connections per caller uid.
    private var connections: [uid_t: Int] = [:]
    /// Connections one uid may hold: one admin's stuck or hostile client
    /// cannot take the socket from another (root's `systemctl reload` included).
    static let maxConnectionsPerUID = 8
    /// Connections of all uids together; uids other than root and the
    /// daemon's own leave `maxConnectionsPerUID` of them free for those two.
    static let maxConnections = 64
    /// How long a connection may stay silent before its next request begins.
    static let idleTimeout = 2.0
    /// How long one request may take from the moment it is awaited to its newline.
    static let requestTimeout = 5.0

    /// Listens on `path` (mode 0660; group `adminGroup` when it exists and we may chown).
    /// - Throws: `SystemError` when the socket cannot be created.
    public init(path: String, adminGroup: String, handler: any ControlHandler, logger: Logger,
                redact: @escaping @Sendable (String) -> String = { $0 }) throws {
        self.path = path
        self.redact = redact
        self.adminGroup = adminGroup
        self.logger = logger
        self.handler = handler
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        listener = try UnixSocket.listen(path: path, mode: 0o660)
        if let group = getgrnam(adminGroup) {
            if chown(path, getuid(), group.pointee.gr_gid) != 0 {
                logger.warning("cannot give the control socket to group \(adminGroup): \(String(cString: strerror(errno)))")
            }
        }
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "control-accept"
        thread.start()
    }

    public func stop() {
        lock.withLock { running = false }
        listener.shutdownBoth()
        unlink(path)
    }

    private var isRunning: Bool { lock.withLock { running } }

    private func acceptLoop() {
        while isRunning {
            let client: UnixSocket
            do {
                client = try listener.accept()
            } catch {
                if isRunning { logger.error("control socket accept failed: \(error)") }
                if error.errno == EINVAL || error.errno == EBADF { return }
                continue
            }
            guard let peer = try? client.peerCredentials() else { continue }
            if let refusal = admit(peer.uid) {
                logger.warning("control connection refused: \(refusal)", metadata: ["uid": "\(peer.uid)", "pid": "\(peer.pid)"])
                try? client.writeAll(ControlCoding.encodeLine(ControlResponse.failure(.init(.refused, refusal))))
                continue
            }
            let thread = Thread { [self] in
                serve(client, peer: peer)
                lock.withLock {
                    connections[peer.uid, default: 1] -= 1
                    if connections[peer.uid] == 0 { connections[peer.uid] = nil }
                }
            }
            thread.name = "control-conn"
            thread.start()
        }
    }

    /// Counts a connection of `uid` in, or says why not.
    func admit(_ uid: uid_t) -> String? {
        lock.withLock {
            let mine = connections[uid, default: 0]
            guard mine < Self.maxConnectionsPerUID else {
                return "too many control connections from uid \(uid) (\(Self.maxConnectionsPerUID) open)"
            }
            let total = connections.values.reduce(0, +)
            let privileged = uid == 0 || uid == getuid()
            guard total < Self.maxConnections - (privileged ? 0 : Self.maxConnectionsPerUID) else {
                return "too many control connections (\(total) open)"
            }
            connections[uid] = mine + 1
            return nil
        }
    }

    /// Whether `peer` may use the socket: root, the daemon's own user, or a member of the admin group.
    func isAuthorized(_ peer: PeerCredentials) -> Bool {
        if peer.uid == 0 || peer.uid == getuid() { return true }
        guard let group = getgrnam(adminGroup) else { return false }
        let gid = group.pointee.gr_gid
        if peer.gid == gid { return true }
        guard let pw = getpwuid(peer.uid) else { return false }
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(pw.pointee.pw_name, pw.pointee.pw_gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(pw.pointee.pw_name, pw.pointee.pw_gid, &groups, &count)
        }
        return groups.prefix(Int(max(count, 0))).contains(gid)
    }

    private func reply(_ client: UnixSocket, _ response: ControlResponse) -> Bool {
        do {
            let line = try ControlCoding.encodeLine(response)
            try client.writeAll(Data(redact(String(decoding: line, as: UTF8.self)).utf8))
            return true
        } catch {
            return false
        }
    }

    private func serve(_ client: UnixSocket, peer: PeerCredentials) {
        guard isAuthorized(peer) else {
            logger.warning("control connection refused", metadata: ["uid": "\(peer.uid)", "pid": "\(peer.pid)"])
            _ = reply(client, .failure(.init(.refused, "uid \(peer.uid) is neither root nor a member of group \(adminGroup)")))
            return
        }
        var reader = LineReader(socket: client, limit: controlMaxRequestBytes)
        while true {
            let next: LineReader.Line
            let now = ContinuousClock.now
            do {
                next = try reader.next(deadlines: (now + .seconds(Self.idleTimeout), now + .seconds(Self.requestTimeout)))
            } catch {
                return
            }
            switch next {
            case .tooLong:
                _ = reply(client, .failure(.init(.badRequest, "request exceeds \(controlMaxRequestBytes) bytes")))
                return
            case .endOfStream(let partial):
                if !partial.isEmpty { _ = reply(client, .failure(.init(.badRequest, "incomplete request: no newline before end of stream"))) }
                return
            case .timedOut(let partial):
                if !partial.isEmpty {
                    _ = reply(client, .failure(.init(.badRequest, "incomplete request: no newline within \(Int(Self.requestTimeout)) s")))
                }
                return
            case .line(let data):
                if data.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
                guard reply(client, respond(to: data, peer: peer)) else { return }
            }
        }
    }

    func respond(to data: Data, peer: PeerCredentials) -> ControlResponse {
        let request: ControlRequest, call: ControlCall
        do throws(ControlError) {
            (request, call) = try Self.decode(data)
        } catch {
            return .failure(error)
        }
        logger.notice("control command", metadata: ["uid": "\(peer.uid)", "pid": "\(peer.pid)", "command": "\(request.cmd)",
                                                    "args": "\(request.args.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"])
        guard let handler else { return .failure(.init(.failed, "the daemon is shutting down")) }
        return handler.handle(call, peer: peer)
    }

    /// Decodes one request line (any bytes a local client sends) and checks it
    /// against the protocol version and the command table; the fuzz target's seam.
    /// - Throws: `ControlError` `.badRequest` (or the table's refusal) saying what is wrong.
    package static func decode(_ data: Data) throws(ControlError) -> (ControlRequest, ControlCall) {
        let request: ControlRequest
        do {
            request = try JSONDecoder().decode(ControlRequest.self, from: data)
        } catch {
            throw ControlError(.badRequest, "not a control request (expected {\"v\":1,\"cmd\":...,\"args\":{...}}): \(error)")
        }
        guard request.v == controlProtocolVersion else {
            throw ControlError(.badRequest, "protocol version \(request.v) is not supported; this daemon speaks \(controlProtocolVersion)")
        }
        return (request, try ControlCommands.call(for: request))
    }
}
