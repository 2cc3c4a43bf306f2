// `devtrip-eventctl state get|list`: a plugin's key-value state, read straight from
// the configured store (SQLite files under state_dir, or the PostgreSQL database),
// so it works whether or not the daemon runs. Like conf-check, it takes no socket.
import ArgumentParser
import EventdConfig
import EventdStore
import Foundation

struct StateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Read a plugin's key-value state from the configured store ([store] in eventd.toml), on either backend.",
        subcommands: [Get.self, List.self])

    struct Source: ParsableArguments {
        @Option(name: .long, help: "Configuration file (its [store] and state_dir say where the state is).")
        var config = DaemonConfiguration.installedPath

        @Option(name: .long, help: "State directory, overriding the file's state_dir (SQLite backend).")
        var stateDir: String?

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func open(_ plugin: String) throws -> any StateBrowsing {
            var overrides = ConfigurationOverrides()
            overrides.stateDir = stateDir
            do {
                let loaded = try ConfigurationLoader.load(path: config, overrides: overrides)
                let location: StoreLocation = switch loaded.store.backend {
                case .sqlite: .sqlite(stateDir: loaded.stateDir)
                case .postgresql: .postgresql(url: loaded.store.url)
                }
                return try location.openExisting(plugin: plugin)
            } catch {
                FileHandle.standardError.write(Data("devtrip-eventctl: \(error)\n".utf8))
                throw Exit.failed
            }
        }
    }

    /// A value as JSON: the document itself when it is one, else a string.
    static func jsonValue(_ bytes: [UInt8]) -> Any {
        (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) ?? String(decoding: bytes, as: UTF8.self)
    }

    static func printJSON(_ object: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Print the value of KEY in PLUGIN's state; exit 1 when absent.")
        @Argument(help: "Plugin name.") var plugin: String
        @Argument(help: "Key.") var key: String
        @OptionGroup var source: Source

        func run() throws {
            let store = try source.open(plugin)
            let value = try Array(key.utf8).withUnsafeBytes { k in try store.withValue(k) { $0.map { Array($0) } } }
            guard let value else {
                FileHandle.standardError.write(Data("devtrip-eventctl: \(plugin) has no key '\(key)'\n".utf8))
                throw Exit.failed
            }
            if source.json {
                try StateCommand.printJSON(["plugin": plugin, "key": key, "value": StateCommand.jsonValue(value)])
            } else {
                print(String(decoding: value, as: UTF8.self))
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the keys of PLUGIN's state that start with PREFIX, with their values.")
        @Argument(help: "Plugin name.") var plugin: String
        @Argument(help: "Key prefix (default: every key).") var prefix = ""
        @Option(name: .long, help: "At most this many keys.") var limit = 1000
        @OptionGroup var source: Source

        func run() throws {
            let entries = try source.open(plugin).entries(prefix: Array(prefix.utf8), limit: limit)
            if source.json {
                try StateCommand.printJSON(["plugin": plugin, "prefix": prefix, "entries": entries.map {
                    ["key": String(decoding: $0.key, as: UTF8.self), "value": StateCommand.jsonValue($0.value)]
                }])
            } else {
                for entry in entries { print("\(String(decoding: entry.key, as: UTF8.self))\t\(String(decoding: entry.value, as: UTF8.self))") }
            }
        }
    }
}
