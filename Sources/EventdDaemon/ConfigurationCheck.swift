// Checks that need more than the TOML parser: librdkafka's own property
// validation, and each plugin's own judgement of its `[settings]`.
import EventdConfig
import EventdKafka
import EventdPluginHost
import Foundation

public enum ConfigurationCheck {
    /// - Throws: `ConfigError` naming the property librdkafka refuses.
    public static func kafkaProperties(_ config: DaemonConfiguration) throws(ConfigError) {
        let locator = (try? String(contentsOfFile: config.file, encoding: .utf8)).map(LineLocator.init)
        for (table, values) in [("consumer", config.consumerProperties), ("producer", config.producerProperties)] {
            for (name, value) in values {
                do {
                    try KafkaProperties([name: value]).validate()
                } catch {
                    throw ConfigError(file: config.file, line: locator?.key(name, in: ["kafka", table]) ?? 0,
                                      reason: "kafka.\(table): \(config.secrets.redact(error.message))")
                }
            }
        }
    }

    /// Asks each plugin in the plugin directory whether it accepts the
    /// `[settings]` it would get at init (the ABI's `check_settings`),
    /// without starting it. A file the daemon would refuse to load is left to
    /// the daemon, which logs why at start; so is every file after the first
    /// of a name. No plugin directory (nothing installed yet): nothing to ask.
    /// - Throws: `ConfigError` at the plugin's `[settings]`, naming the plugin and its reason.
    public static func pluginSettings(_ config: DaemonConfiguration) throws(ConfigError) {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: config.pluginDir)) ?? []
        var asked: Set<String> = []
        for file in files.filter({ $0.hasSuffix(".so") }).sorted() {
            guard let image = try? PluginImage.inspect(path: "\(config.pluginDir)/\(file)"),
                  asked.insert(image.name).inserted else { continue }
            let plugin = config.plugins[image.name]
            guard plugin?.enabled ?? true, let reason = image.checkSettings(plugin?.settingsJSON ?? "{}") else { continue }
            let refusal = PluginRefusal.settingsRefused(name: image.name, reason: reason)
            guard let plugin else { throw ConfigError(file: config.file, line: 0, reason: "\(refusal)") }
            let locator = (try? String(contentsOfFile: plugin.file, encoding: .utf8)).map(LineLocator.init)
            throw ConfigError(file: plugin.file, line: locator?.table(["settings"]) ?? 0, reason: "\(refusal)")
        }
    }
}
