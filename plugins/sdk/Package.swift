// swift-tools-version:6.0
// The plugin SDK: the C ABI header, a Swift wrapper over it, and a test host
// for plugin unit tests, the catalog's payload types (EventdCatalog) and the
// service plugins' shared handler plumbing (EventdServiceKit). It has no dependencies, so every plugin package builds
// it in seconds.
import PackageDescription

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
        .target(name: "EventdPluginSDK", dependencies: ["CEventdPlugin"]),
        .target(name: "EventdPluginTesting", dependencies: ["EventdPluginSDK", "CEventdPlugin"]),
        .target(name: "EventdCatalog"),
        .target(name: "EventdServiceKit", dependencies: ["EventdPluginSDK", "EventdCatalog"]),
        .testTarget(name: "EventdPluginSDKTests", dependencies: ["EventdPluginSDK", "EventdPluginTesting"]),
        .testTarget(name: "EventdServiceKitTests", dependencies: ["EventdServiceKit", "EventdCatalog", "EventdPluginTesting"]),
    ],
    swiftLanguageModes: [.v6]
)
