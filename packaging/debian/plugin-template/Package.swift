// swift-tools-version:6.0
// A devtrip-eventd handler plugin. Make your own copy with the SDK's
// new-plugin.sh (it renames everything), as plugins/sdk/README.md says.
import Foundation
import PackageDescription

// The SDK it builds against, the first that exists of: DEVTRIP_EVENTD_SDK;
// the SDK new-plugin.sh came with (it writes that path into `sdkOfCopy`);
// the installed devtrip-eventd-dev's; the source checkout this template lies in.
let sdkOfCopy: String? = nil
let sdkCandidates = [
    Context.environment["DEVTRIP_EVENTD_SDK"],
    sdkOfCopy,
    "/usr/share/devtrip-eventd-dev/sdk",
    Context.packageDirectory + "/../../../plugins/sdk",
].compactMap { $0 }
let sdk = sdkCandidates.first { FileManager.default.fileExists(atPath: $0 + "/Package.swift") } ?? sdkCandidates[0]

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
