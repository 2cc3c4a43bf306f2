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
            -s/--socket PATH may come before the command too (devtrip-eventctl -s PATH status). \
            Exit codes: 0 success; 1 the operation failed; 2 the daemon refused it; \
            64 usage error; 69 the daemon cannot be reached.
            """,
        subcommands: [Status.self, PluginList.self, PluginReload.self, Reload.self, PluginDisable.self, PluginEnable.self,
                      ConsumerPause.self, ConsumerResume.self, DLQList.self, DLQReplay.self, Stats.self, ConfCheck.self,
                      StateCommand.self])

    static func main() {
        main(socketAfterCommand(Array(CommandLine.arguments.dropFirst())))
    }

    /// The arguments with a `-s PATH`, `--socket PATH` or `--socket=PATH` given
    /// before the command moved behind the command's name, where the command's
    /// options are parsed (knotc and haproxy users put the socket first).
    static func socketAfterCommand(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var rest = arguments[...]
        while let first = rest.first, first.hasPrefix("-") {
            if first == "-s" || first == "--socket", rest.count >= 2 {
                leading += ["--socket", rest[rest.startIndex + 1]]
                rest = rest.dropFirst(2)
            } else if first.hasPrefix("--socket=") {
                leading.append(first)
                rest = rest.dropFirst()
            } else {
                break
            }
        }
        guard !leading.isEmpty, let command = rest.first else { return arguments }
        return [command] + leading + rest.dropFirst()
    }
}

enum Exit {
    static let failed = ExitCode(1)
    static let refused = ExitCode(2)
    static let usage = ExitCode(64)
    static let unreachable = ExitCode(69)
}

struct Connection: ParsableArguments {
    @Option(name: [.short, .long], help: "The daemon's control socket (also accepted before the command).")
    var socket = ProcessInfo.processInfo.environment["DEVTRIP_EVENTD_SOCKET"] ?? "/run/devtrip-eventd/control.sock"

    @Flag(name: .long, help: "Print the daemon's answer as JSON.")
    var json = false

    /// Sends a request, prints the answer, and maps failures to exit codes.
    func send(_ request: ControlRequest, answering verb: ControlVerb) throws {
        let response: ControlResponse
        do {
            response = try ControlClient.send(request, socketPath: socket)
        } catch {
            FileHandle.standardError.write(Data("devtrip-eventctl: \(error)\n".utf8))
            throw Exit.unreachable
        }
        if json {
            print(Render.json(response))
        } else if let result = response.result {
            print(Render.text(answering: verb, result), terminator: "")
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

/// A subcommand that sends one command of the control table, whose row gives its name,
/// usage and help, and checks its arguments before they are sent.
protocol TableCommand: ParsableCommand {
    associatedtype Arguments: RequestArguments
    static var verb: ControlVerb { get }
    var arguments: Arguments { get }
}

extension TableCommand {
    static var configuration: CommandConfiguration {
        let command = ControlCommands[verb]
        return CommandConfiguration(commandName: command.name, abstract: command.help, usage: "devtrip-eventctl \(command.usage)")
    }

    var request: ControlRequest { ControlRequest(Self.verb, arguments.values) }

    func validate() throws {
        do throws(ControlError) {
            _ = try ControlCommands.call(for: request)
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() throws { try arguments.connection.send(request, answering: Self.verb) }
}

/// A command's arguments as the CLI parses them, and as the request carries them.
protocol RequestArguments: ParsableArguments {
    var connection: Connection { get }
    var values: [ControlArgument: String?] { get }
}

struct NoArguments: RequestArguments {
    @OptionGroup var connection: Connection
    var values: [ControlArgument: String?] { [:] }
}

/// The one thing a command names: a plugin, a dead-letter topic.
protocol Subject {
    static var argument: ControlArgument { get }
    static var help: String { get }
}

enum PluginSubject: Subject {
    static let argument = ControlArgument.plugin
    static let help = "The plugin's name."
}

enum DeadLetterSubject: Subject {
    static let argument = ControlArgument.topic
    static let help = "The dead-letter topic, e.g. mission-events.dlq."
}

struct Named<Thing: Subject>: RequestArguments {
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(Thing.help, valueName: Thing.argument.name)) var value: String
    var values: [ControlArgument: String?] { [Thing.argument: value] }
}

struct GroupAndTopic: RequestArguments {
    @OptionGroup var connection: Connection
    @Argument(help: "The consumer group.") var group: String
    @Argument(help: "Only this topic.") var topic: String?
    var values: [ControlArgument: String?] { [.group: group, .topic: topic] }
}

struct ReplaySelection: RequestArguments {
    @OptionGroup var deadLetters: Named<DeadLetterSubject>
    @Option(name: .customLong(ControlArgument.eventID.name), help: "Replay the dead letters of this event id.") var eventID: String?
    @Flag(name: .customLong(ControlArgument.all.name), help: "Replay every dead letter of the topic.") var all = false
    var connection: Connection { deadLetters.connection }
    var values: [ControlArgument: String?] {
        deadLetters.values.merging([.eventID: eventID, .all: all ? ControlArgument.flagValue : nil]) { $1 }
    }
}

// One subcommand per row of the command table: the row, and the arguments it takes.
struct Status: TableCommand { static let verb = ControlVerb.status; @OptionGroup var arguments: NoArguments }
struct PluginList: TableCommand { static let verb = ControlVerb.pluginList; @OptionGroup var arguments: NoArguments }
struct PluginReload: TableCommand { static let verb = ControlVerb.pluginReload; @OptionGroup var arguments: Named<PluginSubject> }
struct Reload: TableCommand { static let verb = ControlVerb.reload; @OptionGroup var arguments: NoArguments }
struct PluginDisable: TableCommand { static let verb = ControlVerb.pluginDisable; @OptionGroup var arguments: Named<PluginSubject> }
struct PluginEnable: TableCommand { static let verb = ControlVerb.pluginEnable; @OptionGroup var arguments: Named<PluginSubject> }
struct ConsumerPause: TableCommand { static let verb = ControlVerb.consumerPause; @OptionGroup var arguments: GroupAndTopic }
struct ConsumerResume: TableCommand { static let verb = ControlVerb.consumerResume; @OptionGroup var arguments: GroupAndTopic }
struct DLQList: TableCommand { static let verb = ControlVerb.dlqList; @OptionGroup var arguments: Named<DeadLetterSubject> }
struct DLQReplay: TableCommand { static let verb = ControlVerb.dlqReplay; @OptionGroup var arguments: ReplaySelection }
struct Stats: TableCommand { static let verb = ControlVerb.stats; @OptionGroup var arguments: NoArguments }

struct ConfCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conf-check",
        abstract: "Validate the daemon's configuration files without a running daemon; exit 1 with file, line and reason on error.")

    @Option(name: .long, help: "Configuration file.") var config = DaemonConfiguration.installedPath

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
