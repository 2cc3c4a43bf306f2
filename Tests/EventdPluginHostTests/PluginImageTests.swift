import CEventdPlugin
import EventdPluginHost
import Foundation
import Testing

/// The ABI as the loader reads it: frozen v1 sizes, the entry symbol's major, check_settings.
@Suite struct PluginImageTests {
    let sink = CapturingSink()

    @Test func pluginBuiltForAnotherMajorIsRefusedNamingThatMajor() throws {
        let (registry, _) = makeRegistry(sink: sink)
        let path = try Stage.fixture("abi-two")
        do {
            try registry.load(path: path) { _ in PluginOptions() }
            Issue.record("a plugin exporting only devtrip_eventd_plugin_v2 loaded")
        } catch {
            #expect(error == .wrongABI(path: path, found: 2, expected: 1))
            #expect(error.description.contains("is built for plugin ABI 2; this daemon speaks ABI 1"))
        }
        #expect(registry.plugins.isEmpty)
    }

    /// `make run`'s plugin directory holds links to builds elsewhere: what loads is the build the link names,
    /// also after it was rewritten in place (same inode) — never a stale image or a dangling copy of the link.
    @Test func aLinkLoadsTheBuildItNamesEachTime() throws {
        let dir = NSTemporaryDirectory() + "eventd-link-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for sub in ["builds", "plugins"] { try FileManager.default.createDirectory(atPath: "\(dir)/\(sub)", withIntermediateDirectories: true) }
        let build = "\(dir)/builds/libecho.so", link = "\(dir)/plugins/libecho.so"
        try FileManager.default.copyItem(atPath: try Stage.plugin("libecho-1.0.2.so.variant", in: Stage.fixtures), toPath: build)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "../builds/libecho.so")
        let first = try PluginImage.load(path: link, imageDir: "\(dir)/images")
        #expect(first.version == "1.0.2" && first.sourcePath == link)

        let inode = PluginFingerprint(path: build).inode
        let rebuilt = try Data(contentsOf: URL(fileURLWithPath: try Stage.plugin("libecho-1.0.3.so.variant", in: Stage.fixtures)))
        let file = try #require(FileHandle(forWritingAtPath: build))
        try file.truncate(atOffset: 0)
        try file.write(contentsOf: rebuilt)
        try file.close()
        #expect(PluginFingerprint(path: build).inode == inode, "rewritten in place")
        #expect(try PluginImage.load(path: link, imageDir: "\(dir)/images").version == "1.0.3")
    }

    @Test func theV1SizesAreFrozenWhileTheRegistrationStructHasGrown() {
        #expect(PluginImage.v1RegistrationSize == 72)
        #expect(DTE_HOST_API_V1_SIZE == 48 && DTE_EVENT_V1_SIZE == 112)
        #expect(MemoryLayout<dte_plugin>.size > Int(PluginImage.v1RegistrationSize), "check_settings was appended after v1")
    }

    @Test func aV1SizedPluginStillLoadsAndNothingPastItsStructIsRead() throws {
        let (registry, _) = makeRegistry(sink: sink)
        let plugin = try #require(try registry.load(path: try Stage.fixture("v1-size")) { _ in PluginOptions() })
        #expect(plugin.name == "v1-size")
        #expect(plugin.claims.map(\.group) == ["v1-size-group"])
        // The fixture's bytes past v1 hold a check_settings that refuses everything: not the plugin's, so unseen.
        #expect(plugin.image.registration.check_settings == nil)
        #expect(plugin.image.checkSettings(#"{"any":"thing"}"#) == nil)
        #expect(handle(plugin, topic: "mission-events", event: "mission.started", id: "a", value: "{}").0 == DTE_OK)
        registry.shutdownAll()
    }

    @Test func checkSettingsJudgesSettingsWithoutStartingThePlugin() throws {
        let image = try PluginImage.inspect(path: try Stage.fixture("counter"))
        #expect(image.name == "counter")
        #expect(image.loadedPath == image.sourcePath, "inspected in place, no private copy")
        #expect(image.checkSettings("{}") == nil)
        #expect(image.checkSettings(#"{"reject_id":"bad","slow_ms":"5"}"#) == nil)
        #expect(image.checkSettings(#"{"reject_id": 42}"#) == "setting 'reject_id' must be a non-empty string without escapes")
        #expect(image.checkSettings(#"{"output_topic":""}"#) == "setting 'output_topic' must be a non-empty string without escapes")
    }

    @Test func aPluginWithoutCheckSettingsAcceptsEverySetting() throws {
        let image = try PluginImage.inspect(path: try Stage.fixture("claim-a"))
        #expect(image.registration.check_settings == nil)
        #expect(image.checkSettings(#"{"anything":1}"#) == nil)
    }
}
