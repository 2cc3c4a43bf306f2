// swift-tools-version:6.0
// The plugin SDK: the C ABI header, a Swift wrapper over it, and a test host
// for plugin unit tests, the catalog's payload types (EventdCatalog) and the
// service plugins' shared handler plumbing (EventdServiceKit). It has no dependencies, so every plugin package builds
// it in seconds.
import PackageDescription

// Release builds make the SDK's code, internals included, available to the plugin that links it, so
// that the plugin's calls into its generic JSON writer, decoder and state helpers are specialised for
// the plugin's own types (without it, each call goes through witness tables and runtime metadata:
// the payment daemon on PostgreSQL went from 113 to 86 µs of CPU per event with it, README
// "Benchmarks"). Safe here: the SDK is linked statically into each plugin, never shared between two.
// A flag SwiftPM accepts from a root package or a path dependency, which is how plugins use the SDK.
let crossModule: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "devtrip-eventd-sdk",
    products: [
        .library(name: "CEventdPlugin", targets: ["CEventdPlugin"]),
        .library(name: "EventdPluginSDK", targets: ["EventdPluginSDK"]),
        .library(name: "EventdPluginTesting", targets: ["EventdPluginTesting"]),
        .library(name: "EventdCatalog", targets: ["EventdCatalog"]),
        .library(name: "EventdServiceKit", targets: ["EventdServiceKit"]),
    ],
    targets: [
        .target(name: "CEventdPlugin"),
        .target(name: "EventdPluginSDK", dependencies: ["CEventdPlugin"], swiftSettings: crossModule),
        .target(name: "EventdPluginTesting", dependencies: ["EventdPluginSDK", "CEventdPlugin"]),
        .target(name: "EventdCatalog", swiftSettings: crossModule),
        .target(name: "EventdServiceKit", dependencies: ["EventdPluginSDK", "EventdCatalog"], swiftSettings: crossModule),
        .testTarget(name: "EventdPluginSDKTests", dependencies: ["EventdPluginSDK", "EventdPluginTesting"]),
        .testTarget(name: "EventdServiceKitTests", dependencies: ["EventdServiceKit", "EventdCatalog", "EventdPluginTesting"]),
    ],
    swiftLanguageModes: [.v6]
)
