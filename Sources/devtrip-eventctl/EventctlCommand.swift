// devtrip-eventctl: the admin CLI. Every command's usage and help come from
// the control command table shared with the daemon (EventdControl).
import ArgumentParser
import EventdConfig
import EventdControl
import Foundation

@main
struct EventctlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devtrip-eventctl",
        abstract: "Administer a running devtrip-eventd through its control socket.",
        discussion: """
            Exit codes: 0 success; 1 the operation failed; 2 the daemon refused it; \
            64 usage error; 69 the daemon cannot be reached.
            """,
        subcommands: [Status.self, PluginList.self, PluginReload.self, Reload.self, PluginDisable.self, PluginEnable.self,
                      ConsumerPause.self, ConsumerResume.self, DLQList.self, DLQReplay.self, Stats.self, ConfCheck.self])
}

enum Exit {
    static let failed = ExitCode(1)
    static let refused = ExitCode(2)
    static let usage = ExitCode(64)
    static let unreachable = ExitCode(69)
}

struct Connection: ParsableArguments {
    @Option(name: .long, help: "The daemon's control socket.")
    var socket = ProcessInfo.processInfo.environment["DEVTRIP_EVENTD_SOCKET"] ?? "/run/devtrip-eventd/control.sock"

    @Flag(name: .long, help: "Print the daemon's answer as JSON.")
    var json = false

    /// Sends a request, prints the outcome, and maps failures to exit codes.
    func run(_ request: ControlRequest, render: (JSONValue) -> String) throws {
        let response: ControlResponse
        do {
            response = try ControlClient.send(request, socketPath: socket)
        } catch {
            FileHandle.standardError.write(Data("devtrip-eventctl: \(error)\n".utf8))
            throw Exit.unreachable
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let body = (try? encoder.encode(response)) ?? Data()
            print(String(decoding: body, as: UTF8.self))
        } else if let result = response.result {
            print(render(result), terminator: "")
        }
        guard response.ok else {
            let error = response.error ?? ControlError(.failed, "no reason given")
            FileHandle.standardError.write(Data("devtrip-eventctl: \(error.message)\n".utf8))
            switch error.code {
            case .badRequest: throw Exit.usage
            case .refused: throw Exit.refused
            case .failed: throw Exit.failed
            }
        }
    }
}

func help(_ name: String) -> CommandConfiguration {
    let command = ControlCommands.named(name)!
    return CommandConfiguration(commandName: name, abstract: command.help, usage: "devtrip-eventctl \(command.usage)")
}

struct Status: ParsableCommand {
    static let configuration = help("status")
    @OptionGroup var connection: Connection
    func run() throws { try connection.run(ControlRequest("status"), render: Render.status) }
}

struct PluginList: ParsableCommand {
    static let configuration = help("plugin-list")
    @OptionGroup var connection: Connection
    func run() throws { try connection.run(ControlRequest("plugin-list"), render: Render.pluginList) }
}

struct PluginReload: ParsableCommand {
    static let configuration = help("plugin-reload")
    @OptionGroup var connection: Connection
    @Argument(help: "The plugin's name.") var name: String
    func run() throws { try connection.run(ControlRequest("plugin-reload", ["name": name]), render: Render.pluginReload) }
}

struct Reload: ParsableCommand {
    static let configuration = help("reload")
    @OptionGroup var connection: Connection
    func run() throws { try connection.run(ControlRequest("reload"), render: Render.reload) }
}

struct PluginDisable: ParsableCommand {
    static let configuration = help("plugin-disable")
    @OptionGroup var connection: Connection
    @Argument(help: "The plugin's name.") var name: String
    func run() throws { try connection.run(ControlRequest("plugin-disable", ["name": name]), render: Render.pluginState) }
}

struct PluginEnable: ParsableCommand {
    static let configuration = help("plugin-enable")
    @OptionGroup var connection: Connection
    @Argument(help: "The plugin's name.") var name: String
    func run() throws { try connection.run(ControlRequest("plugin-enable", ["name": name]), render: Render.pluginState) }
}

struct ConsumerPause: ParsableCommand {
    static let configuration = help("consumer-pause")
    @OptionGroup var connection: Connection
    @Argument(help: "The consumer group.") var group: String
    @Argument(help: "Only this topic.") var topic: String?
    func run() throws {
        var args = ["group": group]
        args["topic"] = topic
        try connection.run(ControlRequest("consumer-pause", args), render: Render.consumer)
    }
}

struct ConsumerResume: ParsableCommand {
    static let configuration = help("consumer-resume")
    @OptionGroup var connection: Connection
    @Argument(help: "The consumer group.") var group: String
    @Argument(help: "Only this topic.") var topic: String?
    func run() throws {
        var args = ["group": group]
        args["topic"] = topic
        try connection.run(ControlRequest("consumer-resume", args), render: Render.consumer)
    }
}

struct DLQList: ParsableCommand {
    static let configuration = help("dlq-list")
    @OptionGroup var connection: Connection
    @Argument(help: "The dead-letter topic, e.g. mission-events.dlq.") var topic: String
    func run() throws { try connection.run(ControlRequest("dlq-list", ["topic": topic]), render: Render.dlqList) }
}

struct DLQReplay: ParsableCommand {
    static let configuration = help("dlq-replay")
    @OptionGroup var connection: Connection
    @Argument(help: "The dead-letter topic.") var topic: String
    @Option(name: .customLong("event-id"), help: "Replay the dead letters of this event id.") var eventID: String?
    @Flag(name: .long, help: "Replay every dead letter of the topic.") var all = false

    func validate() throws {
        guard all != (eventID != nil) else { throw ValidationError("give exactly one of --event-id ID and --all") }
    }

    func run() throws {
        var args = ["topic": topic]
        if all { args["all"] = "true" }
        args["event-id"] = eventID
        try connection.run(ControlRequest("dlq-replay", args), render: Render.dlqReplay)
    }
}

struct Stats: ParsableCommand {
    static let configuration = help("stats")
    @OptionGroup var connection: Connection
    func run() throws { try connection.run(ControlRequest("stats"), render: Render.stats) }
}

struct ConfCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conf-check",
        abstract: "Validate the daemon's configuration files without a running daemon; exit 1 with file, line and reason on error.")

    @Option(name: .long, help: "Configuration file.")
    var config = "/etc/devtrip-eventd/eventd.toml"

    func run() throws {
        do {
            let loaded = try ConfigurationLoader.load(path: config)
            print("configuration OK: \(config) (\(loaded.catalog.count) events, \(loaded.plugins.count) plugin files)")
        } catch {
            FileHandle.standardError.write(Data("devtrip-eventctl: \(error)\n".utf8))
            throw Exit.failed
        }
    }
}
