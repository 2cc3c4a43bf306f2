// The control vocabulary: every command, its usage and its help, in one table
// that the server, the CLI and the man page all read.

public struct ControlCommand: Sendable, Equatable {
    public let name: String
    /// Positional arguments and options, as the CLI shows them.
    public let usage: String
    public let help: String
    /// Read commands change nothing and have a `--json` form.
    public let readOnly: Bool
    /// Argument names the request carries (`arguments` keys).
    public let arguments: [String]
}

public enum ControlCommands {
    public static let all: [ControlCommand] = [
        .init(name: "status", usage: "status", help: "Show the daemon's state: version, uptime, brokers, plugins, consumer groups and their totals.",
              readOnly: true, arguments: []),
        .init(name: "plugin-list", usage: "plugin-list", help: "List loaded plugins with version, state, claims and source file, and the plugins that were refused.",
              readOnly: true, arguments: []),
        .init(name: "plugin-reload", usage: "plugin-reload NAME", help: "Load a new build of plugin NAME beside the old one and swap it in without losing events; the old version keeps serving if the new one is refused.",
              readOnly: false, arguments: ["name"]),
        .init(name: "reload", usage: "reload", help: "Re-read the plugin configuration and reload every plugin whose file changed, load new files and unload removed ones.",
              readOnly: false, arguments: []),
        .init(name: "plugin-disable", usage: "plugin-disable NAME", help: "Stop handing events to plugin NAME: its consumer groups pause, so its events wait in Kafka.",
              readOnly: false, arguments: ["name"]),
        .init(name: "plugin-enable", usage: "plugin-enable NAME", help: "Resume a disabled plugin's consumer groups.",
              readOnly: false, arguments: ["name"]),
        .init(name: "consumer-pause", usage: "consumer-pause GROUP [TOPIC]", help: "Pause fetching for a consumer group, on every topic or on one; events wait in Kafka.",
              readOnly: false, arguments: ["group", "topic"]),
        .init(name: "consumer-resume", usage: "consumer-resume GROUP [TOPIC]", help: "Resume fetching for a consumer group, on every topic or on one.",
              readOnly: false, arguments: ["group", "topic"]),
        .init(name: "dlq-list", usage: "dlq-list TOPIC", help: "List the records of a dead-letter topic with their event id, outcome, plugin and error.",
              readOnly: true, arguments: ["topic"]),
        .init(name: "dlq-replay", usage: "dlq-replay TOPIC (--event-id ID | --all)", help: "Hand dead-lettered events back to the handler that failed them, audit headers included; a failure dead-letters them again.",
              readOnly: false, arguments: ["topic", "event-id", "all"]),
        .init(name: "stats", usage: "stats", help: "Counters per consumer group and plugin: consumed, handled, skipped, retried, dead-lettered, latency.",
              readOnly: true, arguments: []),
    ]

    public static func named(_ name: String) -> ControlCommand? { all.first { $0.name == name } }
}
