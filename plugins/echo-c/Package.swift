// swift-tools-version:6.0
// A plugin in plain C: it needs only the ABI header from the SDK.
import PackageDescription

let package = Package(name: "devtrip-eventd-plugin-echo-c",
    products: [.library(name: "echo-c", type: .dynamic, targets: ["EchoC"])],
    dependencies: [.package(path: "../sdk")],
    targets: [.target(name: "EchoC", dependencies: [.product(name: "CEventdPlugin", package: "sdk")]),
              .testTarget(name: "EchoCTests", dependencies: ["EchoC", .product(name: "EventdPluginTesting", package: "sdk")])]
)
