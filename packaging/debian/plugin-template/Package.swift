// swift-tools-version:6.0
// A devtrip-eventd handler plugin, built against the installed SDK
// (devtrip-eventd-dev). Rename it as README.md says.
import PackageDescription

// DEVTRIP_EVENTD_SDK points at another copy of the SDK (e.g. a source checkout).
let sdk = Context.environment["DEVTRIP_EVENTD_SDK"] ?? "/usr/share/devtrip-eventd-dev/sdk"

let package = Package(
    name: "devtrip-eventd-plugin-my-plugin",
    // The product's name is the plugin's name: it builds lib<name>.so.
    products: [.library(name: "my-plugin", type: .dynamic, targets: ["MyPlugin"])],
    dependencies: [.package(path: sdk)],
    targets: [
        .target(name: "MyPlugin", dependencies: [.product(name: "EventdPluginSDK", package: "sdk")]),
        .testTarget(name: "MyPluginTests", dependencies: ["MyPlugin", .product(name: "EventdPluginTesting", package: "sdk")]),
    ],
    swiftLanguageModes: [.v6]
)
