// The server's checks before a request reaches the daemon, over a real socket.
import EventdControl
import Foundation
import Logging
import Testing

/// Answers every checked call with the plugin it names, and remembers the calls.
final class RecordingHandler: ControlHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var received: [ControlCall] = []
    var calls: [ControlCall] { lock.withLock { received } }

    func handle(_ call: ControlCall, peer: PeerCredentials) -> ControlResponse {
        lock.withLock { received.append(call) }
        return .report(PluginStateReport(name: call[.plugin] ?? "-", state: "disabled", groups: ["g"]))
    }
}

@Suite(.serialized) struct ControlServerTests {
    let handler = RecordingHandler()
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eventd-control-\(UUID().uuidString)").path

    func withServer(_ body: (String) throws -> Void) throws {
        let path = "\(directory)/control.sock"
        let server = try ControlServer(path: path, adminGroup: "nogroup", handler: handler, logger: Logger(label: "test"))
        defer {
            server.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
        try body(path)
    }

    func exchange(_ line: String, at path: String) throws -> ControlResponse {
        let socket = try UnixSocket.connect(path: path)
        try socket.setReceiveTimeout(seconds: 10)
        try socket.writeAll(Data((line + "\n").utf8))
        var reader = LineReader(socket: socket, limit: 1 << 20)
        guard case .line(let data) = try reader.next() else { throw ControlClientError.protocolError("no answer") }
        return try JSONDecoder().decode(ControlResponse.self, from: data)
    }

    @Test func aCheckedRequestReachesTheHandlerAndItsReportComesBack() throws {
        try withServer { path in
            let answer = try ControlClient.send(ControlRequest(.pluginDisable, [.plugin: "echo"]), socketPath: path, timeout: 10)
            #expect(answer.ok)
            #expect(try answer.result?.decode(PluginStateReport.self) == PluginStateReport(name: "echo", state: "disabled", groups: ["g"]))
            #expect(handler.calls.map(\.verb) == [.pluginDisable])
            #expect(handler.calls.first?.required(.plugin) == "echo")
        }
    }

    @Test func badRequestsAreAnsweredWithoutReachingTheHandler() throws {
        try withServer { path in
            let garbage = try exchange("this is not json", at: path)
            #expect(!garbage.ok && garbage.error?.code == .badRequest && garbage.result == nil)
            #expect(try exchange(#"{"v":1,"cmd":"self-destruct","args":{}}"#, at: path).error?.message.hasPrefix("unknown command 'self-destruct'") == true)
            #expect(try exchange(#"{"v":1,"cmd":"status","args":{"force":"yes"}}"#, at: path).error?.message
                    == "status takes no argument 'force' (usage: status)")
            #expect(try exchange(#"{"v":1,"cmd":"plugin-enable","args":{}}"#, at: path).error == ControlError(.badRequest, "usage: plugin-enable NAME"))
            #expect(try exchange(#"{"v":1,"cmd":"dlq-replay","args":{"topic":"a.dlq"}}"#, at: path).error?.message
                    == "dlq-replay needs exactly one of --event-id ID and --all")
            #expect(try exchange(#"{"v":2,"cmd":"status","args":{}}"#, at: path).error?.message.contains("protocol version 2 is not supported") == true)
            #expect(handler.calls.isEmpty)
        }
    }

    @Test func aRequestHandedStraightToTheHandlerIsCheckedByTheTableToo() {
        let refused = handler.handle(ControlRequest("plugin-reload"), peer: PeerCredentials(pid: 1, uid: 0, gid: 0))
        #expect(refused.error == ControlError(.badRequest, "usage: plugin-reload NAME"))
        let answered = handler.handle(ControlRequest(.pluginReload, [.plugin: "echo"]), peer: PeerCredentials(pid: 1, uid: 0, gid: 0))
        #expect(answered.ok && handler.calls.map(\.verb) == [.pluginReload])
    }
}
