// devtrip-eventctl: the admin CLI. This version checks configuration.
import ArgumentParser
import EventdConfig
import Foundation

@main
struct EventctlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devtrip-eventctl",
        abstract: "Administer devtrip-eventd.",
        subcommands: [ConfCheck.self])
}

struct ConfCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conf-check",
        abstract: "Validate the daemon's configuration files; exit 2 with file, line and reason on error.")

    @Option(name: .long, help: "Configuration file.")
    var config = "/etc/devtrip-eventd/eventd.toml"

    func run() throws {
        do {
            let loaded = try ConfigurationLoader.load(path: config)
            print("configuration OK: \(config) (\(loaded.catalog.count) events, \(loaded.plugins.count) plugin files)")
        } catch {
            FileHandle.standardError.write(Data("devtrip-eventctl: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
