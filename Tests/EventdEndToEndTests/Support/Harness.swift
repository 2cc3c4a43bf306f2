// Runs the real daemon binary, the real noida-db broker and Debian's kcat.
import Foundation
import Testing

enum Harness {
    static let repo = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    static var daemonBinary: String { environment["EVENTD_BIN"] ?? "\(repo)/.build/debug/devtrip-eventd" }
    static var pluginStage: String { environment["EVENTD_PLUGIN_STAGE"] ?? "\(repo)/.build-plugins/debug" }
    static var fixtureStage: String { environment["EVENTD_FIXTURE_STAGE"] ?? "\(repo)/.build-plugins/fixtures" }
    static var noidaBinary: String? {
        if let bin = environment["NOIDA_BIN"], !bin.isEmpty { return bin }
        return (try? String(contentsOfFile: "\(repo)/.venv-noida/NOIDA_BIN", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func temporaryDirectory(_ tag: String) throws -> String {
        let dir = NSTemporaryDirectory() + "eventd-e2e-\(tag)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Copies the shipped configuration into `dir`, applying text replacements to eventd.toml.
    static func configuration(in dir: String, replacing: [(String, String)] = [], pluginFiles: [String: String] = [:]) throws -> String {
        let etc = "\(dir)/etc"
        try FileManager.default.copyItem(atPath: "\(repo)/etc/devtrip-eventd", toPath: etc)
        var text = try String(contentsOfFile: "\(etc)/eventd.toml", encoding: .utf8)
        for (old, new) in replacing {
            guard text.contains(old) else { throw HarnessError("eventd.toml has no '\(old)' to replace") }
            text = text.replacingOccurrences(of: old, with: new)
        }
        try text.write(toFile: "\(etc)/eventd.toml", atomically: true, encoding: .utf8)
        for (name, body) in pluginFiles { try body.write(toFile: "\(etc)/plugins.d/\(name).toml", atomically: true, encoding: .utf8) }
        return "\(etc)/eventd.toml"
    }

    /// A plugin directory holding copies of the named staged plugins.
    static func pluginDirectory(in dir: String, plugins: [String], fixtures: [String] = []) throws -> String {
        let target = "\(dir)/plugins"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        for name in plugins { try copy("\(pluginStage)/lib\(name).so", to: target) }
        for name in fixtures { try copy("\(fixtureStage)/libfixture-\(name).so", to: target) }
        return target
    }

    private static func copy(_ path: String, to dir: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw HarnessError("\(path) is missing: run `make plugins fixtures` first (make test does)")
        }
        try FileManager.default.copyItem(atPath: path, toPath: "\(dir)/\((path as NSString).lastPathComponent)")
    }

    /// Waits until `condition` holds, polling; throws after `timeout` seconds, with what `report` says.
    static func waitUntil(_ what: String, timeout: TimeInterval, poll: TimeInterval = 0.1, report: () -> String = { "" },
                          _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: poll)
        }
        let said = report()
        throw HarnessError("timed out after \(Int(timeout)) s waiting for \(what)\(said.isEmpty ? "" : " (\(said))")")
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw HarnessError("cannot find a free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A child process whose output goes to a log file.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    let logPath: String

    /// - Parameter input: the child's stdin (default: /dev/null).
    init(_ executable: String, _ arguments: [String], logPath: String, environment: [String: String]? = nil, input: Pipe? = nil) throws {
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        process.standardInput = input ?? FileHandle.nullDevice
        if let environment { process.environment = environment }
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.isRunning }
    var pid: Int32 { process.processIdentifier }

    /// Sends `signal` and waits for the exit; returns the exit status.
    @discardableResult
    func stop(_ signal: Int32 = SIGTERM, timeout: TimeInterval = 30) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return -1
        }
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

/// The daemon binary under test.
final class DaemonUnderTest {
    let child: ChildProcess
    let stateDir: String
    let socket: String
    private(set) var bootstrap: String

    /// Starts `devtrip-eventd` and waits until it says it is ready.
    /// - Parameters:
    ///   - stateDir: default `<dir>/state`; daemons of one host that scale out share one.
    ///   - namespace: a network namespace to run in (`ip netns exec`, which execs: `child` is the daemon).
    init(config: String, brokers: String, pluginDir: String, dir: String, run: Int = 0, environment: [String: String] = [:],
         stateDir: String? = nil, namespace: String? = nil) throws {
        self.stateDir = stateDir ?? "\(dir)/state"
        socket = "\(dir)/run/control.sock"
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = nil
        env["WATCHDOG_USEC"] = nil
        env["JOURNAL_STREAM"] = nil
        env.merge(environment) { _, new in new }
        let launcher = namespace.map { ["netns", "exec", $0, Harness.daemonBinary] } ?? []
        child = try ChildProcess(namespace == nil ? Harness.daemonBinary : "/usr/sbin/ip", launcher + [
            "--config", config, "--brokers", brokers, "--plugin-dir", pluginDir,
            "--state-dir", self.stateDir, "--runtime-dir", "\(dir)/run", "--control-socket", socket,
        ], logPath: "\(dir)/daemon-\(run).log", environment: env)
        bootstrap = brokers
        try Harness.waitUntil("the daemon to be ready (log: \(child.logPath))", timeout: 60) {
            guard child.isRunning else { throw HarnessError("daemon exited early:\n\(child.log.suffix(3000))") }
            return child.log.contains("devtrip-eventd ready")
        }
        if brokers == "embedded" {
            bootstrap = try String(contentsOfFile: "\(self.stateDir)/embedded.bootstrap", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// A daemon on the embedded mock cluster in a fresh directory named after `tag`, loading the built
    /// `plugins` and `fixtures`, with the shipped configuration edited by `replacing` and `pluginFiles`.
    /// - Returns: the daemon, its directory and its plugin directory.
    static func embedded(_ tag: String, plugins: [String], fixtures: [String] = [], replacing: [(String, String)] = [],
                         pluginFiles: [String: String] = [:], environment: [String: String] = [:]
    ) throws -> (daemon: DaemonUnderTest, dir: String, plugins: String) {
        let dir = try Harness.temporaryDirectory(tag)
        let config = try Harness.configuration(in: dir, replacing: replacing, pluginFiles: pluginFiles)
        let pluginDir = try Harness.pluginDirectory(in: dir, plugins: plugins, fixtures: fixtures)
        return (try DaemonUnderTest(config: config, brokers: "embedded", pluginDir: pluginDir, dir: dir, environment: environment),
                dir, pluginDir)
    }

    /// `Harness.waitUntil`, whose timeout also says what `report` gives and how the daemon's log ends.
    func waitUntil(_ what: String, timeout: TimeInterval, poll: TimeInterval = 0.1, report: () -> String = { "" },
                   _ condition: () throws -> Bool) throws {
        try Harness.waitUntil(what, timeout: timeout, poll: poll, report: {
            "\(report()); the daemon's log ends:\n\(child.log.suffix(4000))"
        }, condition)
    }

    /// Waits until every consumer group of the daemon has partitions.
    func waitForAssignment(groups: Int, timeout: TimeInterval = 60) throws {
        try Harness.waitUntil("\(groups) consumer groups to be assigned", timeout: timeout) {
            child.log.components(separatedBy: "partitions assigned").count - 1 >= groups
        }
    }
}

/// A noida-db broker on a free loopback port.
final class NoidaBroker {
    let child: ChildProcess
    let bootstrap: String

    init(dir: String) throws {
        guard let binary = Harness.noidaBinary, FileManager.default.fileExists(atPath: binary) else {
            throw HarnessError("noida-db is not installed: run `make deps` (make test does)")
        }
        let port = try Harness.freePort()
        try FileManager.default.createDirectory(atPath: "\(dir)/noida", withIntermediateDirectories: true)
        // Children of the test runner inherit its blocked signals (SIGTERM among them): perl clears the
        // mask so that the broker stops on SIGTERM at teardown instead of waiting out ChildProcess.stop's 30 s.
        let unblocked = ["-MPOSIX", "-e", "sigprocmask(SIG_SETMASK, POSIX::SigSet->new); exec @ARGV or die", binary]
        child = try ChildProcess("/usr/bin/perl", unblocked + ["start", "--only", "kafka", "--kafka-port", "\(port)", "--data-dir", "\(dir)/noida"],
                                 logPath: "\(dir)/noida.log")
        bootstrap = "127.0.0.1:\(port)"
        try Harness.waitUntil("noida-db to listen on \(port)", timeout: 20) {
            guard child.isRunning else { throw HarnessError("noida-db exited: \(child.log)") }
            return Kcat.canConnect(bootstrap)
        }
    }

    deinit { child.stop() }
}

/// What a `devtrip-eventctl` run printed.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String

    /// The `--json` answer.
    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] else {
            throw HarnessError("not a JSON object: \(stdout)")
        }
        return object
    }
}

/// A program run to its end with its output captured.
struct Captured {
    var status: Int32
    var stdout: Data
    var stderr: Data
    /// Killed by its timeout.
    var timedOut = false

    /// Runs `executable` with `arguments`; `input` (if any) goes to its standard input, else /dev/null.
    /// - Parameter timeout: the program is killed (SIGKILL) after this many seconds and `timedOut` is set.
    init(_ executable: String, _ arguments: [String], input: Data? = nil, timeout: TimeInterval? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try process.run()
        let killed = UncheckedFlag()
        if let timeout {
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [process] in
                if process.isRunning { killed.set(); kill(pid, SIGKILL) }
            }
        }
        if let input {
            inPipe.fileHandleForWriting.write(input)
            try inPipe.fileHandleForWriting.close()
        }
        stdout = out.fileHandleForReading.readDataToEndOfFile()
        stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        status = process.terminationStatus
        timedOut = killed.isSet
    }
}

enum Eventctl {
    static var binary: String { (Harness.daemonBinary as NSString).deletingLastPathComponent + "/devtrip-eventctl" }

    /// Runs the CLI, optionally as another user through setpriv.
    static func run(_ arguments: [String], socket: String, user: (uid: Int, gid: Int)? = nil) throws -> CommandResult {
        // conf-check reads files and takes no socket.
        let socketArgs = arguments.first == "conf-check" ? [] : ["--socket", socket]
        let run = if let user {
            try Captured("/usr/bin/setpriv", ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", binary] + arguments + socketArgs)
        } else {
            try Captured(binary, arguments + socketArgs)
        }
        return CommandResult(status: run.status, stdout: String(decoding: run.stdout, as: UTF8.self),
                             stderr: String(decoding: run.stderr, as: UTF8.self))
    }
}
