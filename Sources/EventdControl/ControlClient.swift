// The client side of the control socket, used by devtrip-eventctl.
import Foundation

public enum ControlClientError: Error, CustomStringConvertible {
    case unreachable(path: String, reason: String)
    case protocolError(String)

    public var description: String {
        switch self {
        case let .unreachable(path, reason): "cannot reach devtrip-eventd at \(path): \(reason)"
        case let .protocolError(reason): "bad answer from devtrip-eventd: \(reason)"
        }
    }
}

public enum ControlClient {
    /// Sends one request and waits for its answer (reloads may take a while).
    public static func send(_ request: ControlRequest, socketPath: String, timeout: Double = 120) throws(ControlClientError) -> ControlResponse {
        let socket: UnixSocket
        let bytes: Data
        do {
            socket = try UnixSocket.connect(path: socketPath)
            try socket.setReceiveTimeout(seconds: timeout)
            bytes = try ControlCoding.encodeLine(request)
        } catch let error as SystemError {
            throw .unreachable(path: socketPath, reason: error.description)
        } catch {
            throw .protocolError("\(error)")
        }
        // A daemon that refuses this peer answers and closes at once, maybe before the request
        // is written: its answer is still there to read, and it is the answer, not the broken pipe.
        let writeFailure: String?
        do {
            try socket.writeAll(bytes)
            writeFailure = nil
        } catch {
            writeFailure = "\(error)"
        }
        var reader = LineReader(socket: socket, limit: 64 << 20)
        let line: LineReader.Line
        do { line = try reader.next() } catch { throw .unreachable(path: socketPath, reason: writeFailure ?? error.description) }
        if let writeFailure, case .endOfStream = line { throw .unreachable(path: socketPath, reason: writeFailure) }
        switch line {
        case .line(let data):
            do { return try JSONDecoder().decode(ControlResponse.self, from: data) } catch { throw .protocolError("\(error)") }
        case .timedOut:
            throw .unreachable(path: socketPath, reason: "no answer within \(Int(timeout)) s")
        case .endOfStream, .tooLong:
            throw .protocolError("connection closed without an answer")
        }
    }
}
