// swift-tools-version:6.0
import PackageDescription

let package = Package(name: "devtrip-eventd-plugin-echo",
    products: [.library(name: "echo", type: .dynamic, targets: ["Echo"])],
    dependencies: [.package(path: "../sdk")],
    targets: [.target(name: "Echo", dependencies: [.product(name: "EventdPluginSDK", package: "sdk")]),
              .testTarget(name: "EchoTests", dependencies: ["Echo", .product(name: "EventdPluginTesting", package: "sdk")])]
)
