import CEventdPlugin
import EventdPluginHost
import Foundation
import Testing

@Suite struct PluginRegistryTests {
    let sink = CapturingSink()

    func refusal(_ body: () throws -> Void) -> PluginRefusal? {
        do {
            try body()
            return nil
        } catch {
            return error as? PluginRefusal
        }
    }

    @Test func wrongABIMajorIsRefused() throws {
        let (registry, _) = makeRegistry(sink: sink)
        let path = try Stage.fixture("wrong-abi")
        let error = refusal { try registry.load(path: path) { _ in PluginOptions() } }
        #expect(error == .wrongABI(path: path, found: 99, expected: 1))
        #expect(error?.description.contains("ABI 99") == true)
        #expect(registry.plugins.isEmpty)
    }

    @Test func tooSmallRegistrationStructIsRefused() throws {
        let (registry, _) = makeRegistry(sink: sink)
        let path = try Stage.fixture("small-struct")
        let error = refusal { try registry.load(path: path) { _ in PluginOptions() } }
        #expect(error == .structTooSmall(path: path, found: 8, minimum: PluginImage.v1RegistrationSize))
    }

    @Test func libraryWithoutEntrySymbolIsRefused() throws {
        let (registry, _) = makeRegistry(sink: sink)
        let path = try Stage.fixture("no-entry")
        #expect(refusal { try registry.load(path: path) { _ in PluginOptions() } } == .missingEntry(path: path))
    }

    @Test func fileThatIsNotASharedObjectIsRefused() throws {
        let (registry, dir) = makeRegistry(sink: sink)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = "\(dir)/libbroken.so"
        try Data("this is not an ELF file".utf8).write(to: URL(fileURLWithPath: path))
        guard case .cannotOpen(let p, let reason)? = refusal({ try registry.load(path: path) { _ in PluginOptions() } }) else {
            Issue.record("expected cannotOpen")
            return
        }
        #expect(p == path)
        #expect(!reason.isEmpty)
    }

    @Test func duplicateNameIsRefused() throws {
        let (registry, _) = makeRegistry(sink: sink)
        let echo = try Stage.real("echo")
        try registry.load(path: echo) { _ in PluginOptions() }
        let dup = try Stage.fixture("dup-name")
        #expect(refusal { try registry.load(path: dup) { _ in PluginOptions() } } == .duplicateName(name: "echo", path: dup, loadedFrom: echo))
        #expect(registry.plugins.map(\.name) == ["echo"])
    }

    @Test func duplicateClaimWithoutSharingIsRefused() throws {
        let (registry, _) = makeRegistry(sink: sink)
        try registry.load(path: try Stage.fixture("claim-a")) { _ in PluginOptions() }
        let error = refusal { try registry.load(path: try! Stage.fixture("claim-b")) { _ in PluginOptions() } }
        #expect(error == .duplicateClaim(name: "claim-b", event: "user.registered", group: "claim-group", heldBy: "claim-a"))
    }

    @Test func groupOverrideSeparatesOtherwiseClashingClaims() throws {
        let (registry, _) = makeRegistry(sink: sink)
        try registry.load(path: try Stage.fixture("claim-a")) { _ in PluginOptions() }
        var options = PluginOptions()
        options.groupOverrides = ["claim-group": "claim-b-own-group"]
        let b = try #require(try registry.load(path: try Stage.fixture("claim-b")) { _ in options })
        #expect(b.claims.map(\.group) == ["claim-b-own-group"])
    }

    @Test func sharedClaimsLoadSideBySide() throws {
        let (registry, _) = makeRegistry(sink: sink)
        try registry.load(path: try Stage.fixture("shared-a")) { _ in PluginOptions() }
        try registry.load(path: try Stage.fixture("shared-b")) { _ in PluginOptions() }
        #expect(registry.plugins.map(\.name) == ["shared-a", "shared-b"])
    }

    @Test func initFailureIsRefusedWithThePluginsReason() throws {
        let (registry, _) = makeRegistry(sink: sink)
        let error = refusal { try registry.load(path: try! Stage.fixture("init-fail")) { _ in PluginOptions() } }
        #expect(error == .initFailed(name: "init-fail", reason: "database unreachable: fixture"))
        #expect(registry.plugins.isEmpty)
    }

    @Test func disabledPluginIsNotLoaded() throws {
        let (registry, _) = makeRegistry(sink: sink)
        var options = PluginOptions()
        options.enabled = false
        #expect(try registry.load(path: try Stage.real("echo")) { _ in options } == nil)
        #expect(registry.plugins.isEmpty)
    }

    @Test func directoryLoadKeepsGoodPluginsAndRecordsEveryRefusal() throws {
        let (registry, dir) = makeRegistry(sink: sink)
        // One directory holding every fixture and both real echo plugins.
        let pluginDir = "\(dir)/plugins"
        try FileManager.default.createDirectory(atPath: pluginDir, withIntermediateDirectories: true)
        let fixtures = try FileManager.default.contentsOfDirectory(atPath: Stage.fixtures).filter { $0.hasSuffix(".so") }
        #expect(fixtures.count == 13)
        for file in fixtures { try FileManager.default.copyItem(atPath: "\(Stage.fixtures)/\(file)", toPath: "\(pluginDir)/\(file)") }
        for name in ["echo", "echo-c"] { try FileManager.default.copyItem(atPath: try Stage.real(name), toPath: "\(pluginDir)/lib\(name).so") }
        registry.loadDirectory(pluginDir) { _ in PluginOptions() }
        let loaded = Set(registry.plugins.map(\.name))
        // Files load in name order: claim-a before claim-b, the real libecho.so before dup-name (also "echo").
        #expect(loaded == ["claim-a", "counter", "echo", "echo-c", "shared-a", "shared-b", "tx-counter", "v1-size"])
        let refused = Set(registry.refusals.map { ($0.path as NSString).lastPathComponent })
        #expect(refused == ["libfixture-claim-b.so", "libfixture-init-fail.so", "libfixture-no-entry.so",
                            "libfixture-small-struct.so", "libfixture-wrong-abi.so", "libfixture-dup-name.so",
                            "libfixture-abi-two.so"])
        registry.shutdownAll()
    }

    @Test func swiftAndCPluginsServeSideBySide() throws {
        let (registry, _) = makeRegistry(sink: sink)
        let echo = try #require(try registry.load(path: try Stage.real("echo")) { _ in PluginOptions() })
        var cOptions = PluginOptions()
        cOptions.settingsJSON = #"{"output_topic":"c-out"}"#
        let echoC = try #require(try registry.load(path: try Stage.real("echo-c")) { _ in cOptions })
        let value = #"{"eventId":"e-1","eventType":"mission.completed"}"#
        #expect(handle(echo, topic: "mission.completed", event: "mission.completed", id: "e-1", key: "u1", value: value).0 == DTE_OK)
        #expect(handle(echoC, topic: "mission.completed", event: "mission.completed", id: "e-1", key: "u1", value: value).0 == DTE_OK)
        let records = sink.records
        #expect(records.map(\.plugin) == ["echo", "echo-c"])
        #expect(records.map(\.topic) == ["echo-events", "c-out"])
        #expect(records.allSatisfy { $0.value == Array(value.utf8) && $0.key == Array("u1".utf8) })
        #expect(records[0].headers["x-echo-plugin"] == "echo")
        #expect(records[1].headers["x-echo-plugin"] == "echo-c")
        registry.shutdownAll()
    }

    @Test func pluginStateGoesThroughTheHostStoreAndSurvivesReload() throws {
        let (registry, dir) = makeRegistry(sink: sink)
        let counter = try #require(try registry.load(path: try Stage.fixture("counter")) { _ in PluginOptions() })
        #expect(handle(counter, topic: "mission-events", event: "mission.started", id: "a", value: "{}").0 == DTE_OK)
        #expect(handle(counter, topic: "mission-events", event: "mission.started", id: "a", value: "{}").0 == DTE_OK)
        #expect(try counter.context.state.string("seen/a") == "2")
        registry.shutdownAll()

        // A new registry over the same state directory: a restart.
        let again = PluginRegistry(catalog: hostCatalog, imageDir: "\(dir)/images2", stateDir: "\(dir)/state",
                                   logger: .init(label: "t"), sink: sink)
        let reloaded = try #require(try again.load(path: try Stage.fixture("counter")) { _ in PluginOptions() })
        #expect(handle(reloaded, topic: "mission-events", event: "mission.started", id: "b", value: "{}").0 == DTE_OK)
        #expect(try reloaded.context.state.string("total") == "3")
        #expect(sink.records.last?.headers["x-counter-total"] == "3")
        again.shutdownAll()
    }

    @Test func rejectAndRetryCarryTheHandlersReason() throws {
        let (registry, _) = makeRegistry(sink: sink)
        var options = PluginOptions()
        options.settingsJSON = #"{"reject_id":"bad","retry_id":"slow"}"#
        let counter = try #require(try registry.load(path: try Stage.fixture("counter")) { _ in options })
        let rejected = handle(counter, topic: "mission-events", event: "mission.started", id: "bad", value: "{}")
        #expect(rejected.0 == DTE_REJECT && rejected.1 == "rejected by fixture")
        let retried = handle(counter, topic: "mission-events", event: "mission.started", id: "slow", value: "{}")
        #expect(retried.0 == DTE_RETRY && retried.1 == "transient by fixture")
        registry.shutdownAll()
    }

    @Test func pluginSubscribingToAnEventOutsideTheCatalogIsRefused() throws {
        let registry = PluginRegistry(catalog: try .init([.init(name: "other.event", topics: ["t"])]),
                                      imageDir: NSTemporaryDirectory() + "img-\(UUID())", stateDir: NSTemporaryDirectory() + "st-\(UUID())",
                                      logger: .init(label: "t"), sink: sink)
        guard case .badConfiguration(let name, let reason)? = refusal({ try registry.load(path: try! Stage.fixture("counter")) { _ in PluginOptions() } }) else {
            Issue.record("expected badConfiguration")
            return
        }
        #expect(name == "counter" && reason.contains("mission.started"))
    }
}
