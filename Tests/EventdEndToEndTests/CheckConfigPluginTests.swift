// `devtrip-eventd --check-config` asking each plugin about its [settings] (check_settings).
import Foundation
import Testing

extension CommandLineTests {
    /// A configuration whose plugins.d/counter.toml has `settings`, and a plugin directory.
    func counterConfiguration(_ tag: String, settings: String) throws -> (config: String, pluginDir: String) {
        let dir = try Harness.temporaryDirectory(tag)
        let config = try Harness.configuration(in: dir, pluginFiles: ["counter": "[plugin]\nenabled = true\n\n[settings]\n\(settings)\n"])
        // echo-c checks its settings too; v1-size hides a refusing check_settings past its v1 struct;
        // abi-two cannot load at all (the daemon reports that at start, not the check).
        let pluginDir = try Harness.pluginDirectory(in: dir, plugins: ["echo-c"], fixtures: ["counter", "v1-size", "abi-two"])
        return (config, pluginDir)
    }

    @Test func checkConfigReportsAPluginRefusingItsSettings() throws {
        let (config, pluginDir) = try counterConfiguration("badsettings", settings: "reject_id = 42")
        let result = try run(Harness.daemonBinary, ["--check-config", "--config", config, "--plugin-dir", pluginDir])
        #expect(result.status == 2)
        let counterFile = (config as NSString).deletingLastPathComponent + "/plugins.d/counter.toml"
        #expect(result.output.contains(
            "\(counterFile):4: plugin 'counter' refuses its [settings]: setting 'reject_id' must be a non-empty string without escapes"))
        #expect(!result.output.contains("configuration OK"))
    }

    @Test func checkConfigAcceptsSettingsEveryPluginAccepts() throws {
        let (config, pluginDir) = try counterConfiguration("goodsettings", settings: "reject_id = \"poison\"")
        let result = try run(Harness.daemonBinary, ["--check-config", "--config", config, "--plugin-dir", pluginDir])
        #expect(result.status == 0)
        #expect(result.output.contains("configuration OK"))
    }
}
