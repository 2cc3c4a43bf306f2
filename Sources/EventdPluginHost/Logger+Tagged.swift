// A logger whose every line carries one more metadata field (the plugin, the consumer group).
import Logging

extension Logger {
    /// This logger with `key` set to `value` on every line it writes.
    public func tagged(_ key: String, _ value: String) -> Logger {
        var logger = self
        logger[metadataKey: key] = .string(value)
        return logger
    }
}
