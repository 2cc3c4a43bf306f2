// Stricter settings readers the service plugins share.
import EventdPluginSDK

extension PluginSettings {
    /// Refuses keys this plugin does not know, so a typo refuses the load.
    public func requireOnly(_ keys: Set<String>) throws {
        for key in raw.keys.sorted() where !keys.contains(key) {
            throw SettingsError("unknown setting '\(key)' (expected one of: \(keys.sorted().joined(separator: ", ")))")
        }
    }

    /// A list of integers of at least `minimum`, sorted and without duplicates.
    public func integers(_ key: String, default value: [Int], minimum: Int) throws -> [Int] {
        guard let list = try ints(key) else { return value }
        if let small = list.first(where: { $0 < minimum }) {
            throw SettingsError("setting '\(key)' must hold integers of at least \(minimum), got \(small)")
        }
        return Set(list).sorted()
    }

    /// An integer setting of at least `minimum`.
    public func int(_ key: String, default value: Int, minimum: Int) throws -> Int {
        let number = try int(key) ?? value
        guard number >= minimum else { throw SettingsError("setting '\(key)' must be at least \(minimum), got \(number)") }
        return number
    }

    /// A non-empty string setting.
    public func nonEmptyString(_ key: String, default value: String) throws -> String {
        let text = try string(key) ?? value
        guard !text.isEmpty else { throw SettingsError("setting '\(key)' must not be empty") }
        return text
    }
}
