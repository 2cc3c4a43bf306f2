// Checks that need more than the TOML parser: librdkafka's own property validation.
import EventdConfig
import EventdKafka
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
                                      reason: "kafka.\(table): \(error.message)")
                }
            }
        }
    }
}
