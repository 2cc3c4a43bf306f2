// swift-tools-version:6.0
import PackageDescription

let package = Package(name: "devtrip-eventd-plugin-mission",
    products: [.library(name: "mission", type: .dynamic, targets: ["Mission"])],
    dependencies: [.package(path: "../sdk")],
    targets: [.target(name: "Mission", dependencies: [.product(name: "EventdServiceKit", package: "sdk")]),
              .testTarget(name: "MissionTests", dependencies: ["Mission", .product(name: "EventdPluginTesting", package: "sdk")])]
)
