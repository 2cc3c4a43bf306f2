import CEventdPlugin
import EventdPluginSDK
import Testing

/// A plugin that judges its settings before it is started.
final class PickyPlugin: EventPlugin, SettingsChecking {
    static let name = "picky"
    static let version = "1.0.0"
    static let subscriptions = [Subscription("mission.started", group: "picky-group")]

    static func checkSettings(_ settings: PluginSettings) throws {
        guard let mode = try settings.string("mode") else { return }
        guard ["fast", "safe"].contains(mode) else { throw SettingsError("setting 'mode' must be fast or safe, not \(mode)") }
    }

    init(host: PluginHost, settings: PluginSettings) throws {
        try Self.checkSettings(settings)
    }

    func handle(_ event: Event) -> Outcome { .ok }
}

@Suite struct SettingsCheckTests {
    @Test func aSettingsCheckingTypeJudgesItsSettings() {
        #expect(PluginExport.checkSettings(#"{"mode":"safe"}"#, for: PickyPlugin.self) == nil)
        #expect(PluginExport.checkSettings("{}", for: PickyPlugin.self) == nil)
        #expect(PluginExport.checkSettings(#"{"mode":"reckless"}"#, for: PickyPlugin.self)
            == "setting 'mode' must be fast or safe, not reckless")
        #expect(PluginExport.checkSettings(#"{"mode":1}"#, for: PickyPlugin.self) == "setting 'mode' must be a string")
    }

    @Test func anyOtherTypeAcceptsEverySettingsObjectButNothingElse() {
        #expect(PluginExport.checkSettings(#"{"whatever":[1,2]}"#, for: CounterPlugin.self) == nil)
        #expect(PluginExport.checkSettings("[1]", for: CounterPlugin.self) == "settings are not a JSON object")
    }

    @Test func theRegistrationExportsCheckSettingsPastTheV1Struct() throws {
        let plugin = PluginExport.register(CounterPlugin.self).assumingMemoryBound(to: dte_plugin.self).pointee
        #expect(plugin.struct_size == UInt32(MemoryLayout<dte_plugin>.size))
        #expect(plugin.struct_size > DTE_PLUGIN_V1_SIZE)
        let check = try #require(plugin.check_settings)
        func verdict(_ json: String) -> (rc: Int32, reason: String) {
            var err = [CChar](repeating: 0, count: 256)
            let rc = check(json, json.utf8.count, &err, err.count)
            return (rc, err.withUnsafeBytes { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) })
        }
        #expect(verdict(#"{"limit":2}"#).rc == 0)
        #expect(verdict("not json").rc != 0)
        #expect(!verdict("not json").reason.isEmpty)
    }
}
