// devtrip-eventd: the daemon's entry point.
import ArgumentParser
import EventdConfig
import EventdControl
import EventdDaemon
import EventdKafka
import Foundation
import Logging

@main
struct EventdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devtrip-eventd",
        abstract: "Consume DevTrip's Kafka events and hand them to handler plugins.")

    @Option(name: .long, help: "Configuration file.") var config = DaemonConfiguration.installedPath

    @Option(name: .long, help: "Bootstrap servers, or 'embedded' for the in-process mock cluster.")
    var brokers: String?

    @Option(name: .customLong("plugin-dir"), help: "Directory of plugin *.so files.")
    var pluginDir: String?

    @Option(name: .customLong("state-dir"), help: "Directory for durable state.")
    var stateDir: String?

    @Option(name: .customLong("runtime-dir"), help: "Directory for runtime files.")
    var runtimeDir: String?

    @Option(name: .customLong("control-socket"), help: "Control socket path.")
    var controlSocket: String?

    @Flag(name: .customLong("check-config"), help: "Validate the configuration and exit.")
    var checkConfig = false

    static func loadConfiguration(path: String, overrides: ConfigurationOverrides) -> Result<DaemonConfiguration, ConfigError> {
        do throws(ConfigError) {
            let loaded = try ConfigurationLoader.load(path: path, overrides: overrides)
            try ConfigurationCheck.kafkaProperties(loaded)
            return .success(loaded)
        } catch {
            return .failure(error)
        }
    }

    /// Reports `error` on stderr; the exit code of every configuration error.
    static func configurationError(_ error: ConfigError) -> ExitCode {
        FileHandle.standardError.write(Data("devtrip-eventd: configuration error: \(error)\n".utf8))
        return ExitCode(2)
    }

    func run() throws {
        var overrides = ConfigurationOverrides()
        overrides.brokers = brokers
        overrides.pluginDir = pluginDir
        overrides.stateDir = stateDir
        overrides.runtimeDir = runtimeDir
        overrides.controlSocket = controlSocket
        let configuration: DaemonConfiguration
        switch Self.loadConfiguration(path: config, overrides: overrides) {
        case .success(let loaded):
            configuration = loaded
        case .failure(let error):
            throw Self.configurationError(error)
        }
        if checkConfig {
            // Only here: at start a plugin refusing its settings is refused alone, like any failed init.
            do throws(ConfigError) {
                try ConfigurationCheck.pluginSettings(configuration)
            } catch {
                throw Self.configurationError(error)
            }
            print("configuration OK: \(config) (\(configuration.catalog.count) events, \(configuration.plugins.count) plugin files)")
            if let warning = StoreCheck.warning(configuration) { FileHandle.standardError.write(Data("devtrip-eventd: \(warning)\n".utf8)) }
            return
        }
        LogDestination.bootstrap(level: Logger.Level(rawValue: configuration.logLevel) ?? .info, secrets: configuration.secrets)
        let logger = Logger(label: "devtrip-eventd")
        let daemon = Daemon(configuration: configuration, overrides: overrides, logger: logger)

        let stop = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            sources.append(source)
        }
        // SIGHUP does what `devtrip-eventctl reload` does.
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "sighup"))
        hangup.setEventHandler {
            let answer = daemon.handle(ControlRequest("reload"), peer: PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid()))
            if !answer.ok { logger.error("SIGHUP reload: \(answer.error?.message ?? "failed")") }
        }
        hangup.resume()
        sources.append(hangup)
        do {
            try daemon.start()
        } catch {
            logger.critical("cannot start: \(error)")
            daemon.stop()
            throw ExitCode(1)
        }
        stop.wait()
        daemon.stop()
        _ = sources
    }
}
