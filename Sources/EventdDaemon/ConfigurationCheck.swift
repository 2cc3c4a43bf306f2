// Checks that need more than the TOML parser: librdkafka's own property validation.
import EventdConfig
import EventdKafka

public enum ConfigurationCheck {
    /// - Throws: `ConfigError` naming the property librdkafka refuses.
    public static func kafkaProperties(_ config: DaemonConfiguration) throws(ConfigError) {
        for (table, values) in [("consumer", config.consumerProperties), ("producer", config.producerProperties)] {
            for (name, value) in values {
                do {
                    try KafkaProperties([name: value]).validate()
                } catch {
                    throw ConfigError(file: config.file, line: lineOf(name, in: config.file) ?? 0,
                                      reason: "kafka.\(table): \(error.message)")
                }
            }
        }
    }

    static func lineOf(_ key: String, in file: String) -> Int? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("\"\(key)\"") || trimmed.hasPrefix("\(key) ") || trimmed.hasPrefix("\(key)=") { return index + 1 }
        }
        return nil
    }
}
