// A plugin's `[settings]` table, handed over the ABI as a JSON object.
import Foundation

/// Typed read access to the plugin's settings. Lookups of a missing key
/// return `nil`; a key of the wrong type throws, so a typo in the
/// configuration refuses the load instead of falling back silently.
public struct PluginSettings: @unchecked Sendable {
    public let raw: [String: Any]

    public init(json: String) throws {
        let data = Data(json.utf8)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SettingsError("settings are not a JSON object")
        }
        raw = object
    }

    public init(_ raw: [String: Any] = [:]) { self.raw = raw }

    public func string(_ key: String) throws -> String? {
        guard let value = raw[key] else { return nil }
        guard let string = value as? String else { throw SettingsError("setting '\(key)' must be a string") }
        return string
    }

    /// JSON booleans arrive as NSNumber too; on Linux `0 is Bool` holds, so look at the stored type.
    private func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    /// An integer setting. 0 and 1 are integers (told apart from JSON
    /// booleans by their stored type); a fraction, or a magnitude a double
    /// cannot hold exactly, is refused.
    public func int(_ key: String) throws -> Int? {
        guard let value = raw[key] else { return nil }
        guard let number = integer(value) else { throw SettingsError("setting '\(key)' must be an integer") }
        return number
    }

    /// An array-of-integers setting, each element read as `int(_:)` reads one.
    public func ints(_ key: String) throws -> [Int]? {
        guard let value = raw[key] else { return nil }
        guard let list = value as? [Any] else { throw SettingsError("setting '\(key)' must be an array of integers") }
        return try list.map { element in
            guard let number = integer(element) else { throw SettingsError("setting '\(key)' must be an array of integers") }
            return number
        }
    }

    private func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, !isBoolean(value), number.doubleValue == number.doubleValue.rounded(),
              abs(number.doubleValue) < 9.0e15 else { return nil }
        return number.intValue
    }

    public func double(_ key: String) throws -> Double? {
        guard let value = raw[key] else { return nil }
        guard let number = value as? NSNumber, !isBoolean(value) else { throw SettingsError("setting '\(key)' must be a number") }
        return number.doubleValue
    }

    public func bool(_ key: String) throws -> Bool? {
        guard let value = raw[key] else { return nil }
        guard isBoolean(value), let flag = value as? Bool else { throw SettingsError("setting '\(key)' must be a boolean") }
        return flag
    }

    public func strings(_ key: String) throws -> [String]? {
        guard let value = raw[key] else { return nil }
        guard let list = value as? [String] else { throw SettingsError("setting '\(key)' must be an array of strings") }
        return list
    }
}

public struct SettingsError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
