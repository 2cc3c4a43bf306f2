// Typed reads of `[settings]` values that `PluginSettings` gets wrong on Linux.
import EventdPluginSDK
import Foundation

enum SettingsReader {
    /// An integer setting. `PluginSettings.int` refuses 0 and 1 on Linux,
    /// where an `NSNumber` holding 0 or 1 also casts to `Bool`; booleans are
    /// told apart here by their `objCType` instead.
    static func int(_ settings: PluginSettings, _ key: String) throws -> Int? {
        guard let value = settings.raw[key] else { return nil }
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c",
              number.doubleValue == number.doubleValue.rounded(),
              abs(number.doubleValue) < 9.0e15 else {
            throw SettingsError("setting '\(key)' must be an integer")
        }
        return number.intValue
    }
}
