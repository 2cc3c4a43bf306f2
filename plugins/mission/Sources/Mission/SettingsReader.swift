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

extension SettingsReader {
    /// An array of integers.
    static func ints(_ settings: PluginSettings, _ key: String) throws -> [Int]? {
        guard let value = settings.raw[key] else { return nil }
        guard let list = value as? [Any] else { throw SettingsError("setting '\(key)' must be an array of integers") }
        return try list.map { element in
            guard let number = element as? NSNumber, String(cString: number.objCType) != "c",
                  number.doubleValue == number.doubleValue.rounded(), abs(number.doubleValue) < 9.0e15 else {
                throw SettingsError("setting '\(key)' must be an array of integers")
            }
            return number.intValue
        }
    }
}
