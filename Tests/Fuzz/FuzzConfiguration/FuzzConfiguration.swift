// libFuzzer entry for the configuration loader: every input is read both as
// the daemon's file and as a plugin file (plugins.d/<name>.toml).
import CFuzzDriver
import EventdConfig
import EventdRouting

/// No credentials directory: `${credential:…}` fails cleanly instead of reading the host's.
let noCredentials = CredentialResolver(environment: [:])

/// A few events of the shipped catalog, with an alias, for the plugin files. Built once:
/// a catalog keeps its names' C strings for the life of the process.
let catalog = try! EventCatalog([
    CatalogEntry(name: "user.registered", topics: ["auth-events", "user-events"]),
    CatalogEntry(name: "mission.started", topics: ["mission-events"]),
    CatalogEntry(name: "mission.completed", topics: ["mission.completed", "mission-events"], aliases: ["mission.complete"]),
    CatalogEntry(name: "payment.failed", topics: ["payment-events"]),
])

@main enum Main {
    static func main() { eventd_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv) { fuzz($0!, $1) } }
}

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    // `${file:…}` would read the host's files; a fuzzer has no business there.
    guard !text.contains("${file:") else { return }
    _ = try? ConfigurationLoader.parseDaemon(text: text, file: "eventd.toml", credentials: noCredentials)
    _ = try? ConfigurationLoader.parsePlugin(text: text, file: "plugins.d/fuzz.toml", catalog: catalog)
}
