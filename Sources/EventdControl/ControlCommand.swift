// The control vocabulary: every command, its arguments and its help, in one table
// that the server's checks, the daemon's dispatch, the CLI and the man page all read.

/// The commands, by their wire names; the daemon dispatches on these.
public enum ControlVerb: String, CaseIterable, Sendable {
    case status
    case pluginList = "plugin-list"
    case pluginReload = "plugin-reload"
    case reload
    case pluginDisable = "plugin-disable"
    case pluginEnable = "plugin-enable"
    case consumerPause = "consumer-pause"
    case consumerResume = "consumer-resume"
    case dlqList = "dlq-list"
    case dlqReplay = "dlq-replay"
    case stats
}

/// One argument a request may carry: its key in `args` and how the usage line shows its value.
public struct ControlArgument: Sendable, Hashable {
    public let name: String
    /// The value's placeholder (`NAME`); nil for a flag, which is set when its value is `flagValue`.
    public let placeholder: String?

    /// The value a set flag carries on the wire.
    public static let flagValue = "true"

    public static let plugin = ControlArgument(name: "name", placeholder: "NAME")
    public static let group = ControlArgument(name: "group", placeholder: "GROUP")
    public static let topic = ControlArgument(name: "topic", placeholder: "TOPIC")
    public static let eventID = ControlArgument(name: "event-id", placeholder: "ID")
    public static let all = ControlArgument(name: "all", placeholder: nil)

    /// How the argument reads as an option: `--event-id ID`, `--all`.
    var optionForm: String { "--\(name)" + (placeholder.map { " \($0)" } ?? "") }
}

/// What a command asks of its arguments.
public enum ControlParameter: Sendable, Equatable {
    /// Present and not empty.
    case required(ControlArgument)
    case optional(ControlArgument)
    /// Exactly one of these options (an unset flag counts as absent).
    case exactlyOne([ControlArgument])

    var members: [ControlArgument] {
        switch self {
        case .required(let argument), .optional(let argument): [argument]
        case .exactlyOne(let arguments): arguments
        }
    }

    var usage: String {
        switch self {
        case .required(let argument): argument.placeholder ?? argument.optionForm
        case .optional(let argument): "[\(argument.placeholder ?? argument.optionForm)]"
        case .exactlyOne(let arguments): "(" + arguments.map(\.optionForm).joined(separator: " | ") + ")"
        }
    }
}

public struct ControlCommand: Sendable, Equatable {
    public let verb: ControlVerb
    public let help: String
    /// Read commands change nothing.
    public let readOnly: Bool
    public let parameters: [ControlParameter]

    public var name: String { verb.rawValue }
    /// The command with its arguments, as the CLI and the error messages show it.
    public var usage: String { ([name] + parameters.map(\.usage)).joined(separator: " ") }
    /// Every argument name the request may carry (`args` keys).
    public var arguments: [ControlArgument] { parameters.flatMap(\.members) }

    /// Checks a request's arguments against this command's parameters.
    /// - Throws: `ControlError` (bad-request) naming the first problem.
    public func call(with args: [String: String]) throws(ControlError) -> ControlCall {
        let names = arguments.map(\.name)
        if let unknown = args.keys.sorted().first(where: { !names.contains($0) }) {
            throw ControlError(.badRequest, "\(name) takes no argument '\(unknown)' (usage: \(usage))")
        }
        for parameter in parameters {
            switch parameter {
            case .required(let argument):
                guard let value = args[argument.name], !value.isEmpty else { throw ControlError(.badRequest, "usage: \(usage)") }
            case .optional:
                continue
            case .exactlyOne(let options):
                let given = options.filter { ControlCall.isGiven($0, in: args) }
                guard given.count == 1 else {
                    throw ControlError(.badRequest, "\(name) needs exactly one of \(options.map(\.optionForm).joined(separator: " and "))")
                }
            }
        }
        return ControlCall(command: self, arguments: args)
    }
}

/// A request whose command is in the table and whose arguments passed its checks.
public struct ControlCall: Sendable, Equatable {
    public let command: ControlCommand
    public let arguments: [String: String]

    public var verb: ControlVerb { command.verb }

    static func isGiven(_ argument: ControlArgument, in args: [String: String]) -> Bool {
        argument.placeholder == nil ? args[argument.name] == ControlArgument.flagValue : args[argument.name] != nil
    }

    /// The value of an optional argument or option.
    public subscript(_ argument: ControlArgument) -> String? { arguments[argument.name] }

    /// The value of a `.required` argument, which the checks guarantee.
    public func required(_ argument: ControlArgument) -> String {
        guard let value = arguments[argument.name] else {
            preconditionFailure("\(command.name) declares no required argument '\(argument.name)'")
        }
        return value
    }

    /// Whether a flag is set.
    public func isSet(_ flag: ControlArgument) -> Bool { Self.isGiven(flag, in: arguments) }
}

public enum ControlCommands {
    public static let all: [ControlCommand] = [
        .init(verb: .status, help: "Show the daemon's state: version, uptime, brokers, plugins, consumer groups and their totals.",
              readOnly: true, parameters: []),
        .init(verb: .pluginList, help: "List loaded plugins with version, state, claims and source file, and the plugins that were refused.",
              readOnly: true, parameters: []),
        .init(verb: .pluginReload, help: "Load a new build of plugin NAME beside the old one and swap it in without losing events; the old version keeps serving if the new one is refused.",
              readOnly: false, parameters: [.required(.plugin)]),
        .init(verb: .reload, help: "Re-read the plugin configuration and reload every plugin whose file changed, load new files and unload removed ones.",
              readOnly: false, parameters: []),
        .init(verb: .pluginDisable, help: "Stop handing events to plugin NAME: its consumer groups pause, so its events wait in Kafka.",
              readOnly: false, parameters: [.required(.plugin)]),
        .init(verb: .pluginEnable, help: "Resume a disabled plugin's consumer groups.",
              readOnly: false, parameters: [.required(.plugin)]),
        .init(verb: .consumerPause, help: "Pause fetching for a consumer group, on every topic or on one; events wait in Kafka.",
              readOnly: false, parameters: [.required(.group), .optional(.topic)]),
        .init(verb: .consumerResume, help: "Resume fetching for a consumer group, on every topic or on one.",
              readOnly: false, parameters: [.required(.group), .optional(.topic)]),
        .init(verb: .dlqList, help: "List the records of a dead-letter topic with their event id, outcome, plugin and error.",
              readOnly: true, parameters: [.required(.topic)]),
        .init(verb: .dlqReplay, help: "Hand dead-lettered events back to the handler that failed them, audit headers included; a failure dead-letters them again.",
              readOnly: false, parameters: [.required(.topic), .exactlyOne([.eventID, .all])]),
        .init(verb: .stats, help: "Counters per consumer group and plugin: consumed, handled, skipped, retried, dead-lettered, latency.",
              readOnly: true, parameters: []),
    ]

    public static func named(_ name: String) -> ControlCommand? { all.first { $0.name == name } }

    public static subscript(_ verb: ControlVerb) -> ControlCommand {
        guard let command = all.first(where: { $0.verb == verb }) else { preconditionFailure("no row for \(verb) in the command table") }
        return command
    }

    /// The checked call a request asks for.
    /// - Throws: `ControlError` (bad-request) for an unknown command or arguments that do not fit it.
    public static func call(for request: ControlRequest) throws(ControlError) -> ControlCall {
        guard let command = named(request.cmd) else {
            throw ControlError(.badRequest, "unknown command '\(request.cmd)'; commands: \(all.map(\.name).joined(separator: ", "))")
        }
        return try command.call(with: request.args)
    }
}
