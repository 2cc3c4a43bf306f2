// swift-tools-version:6.0
// The user plugin: the User Management Service's consumer rows of the event catalog.
import PackageDescription

let package = Package(name: "devtrip-eventd-plugin-user",
    products: [.library(name: "user", type: .dynamic, targets: ["User"])],
    dependencies: [.package(path: "../sdk")],
    targets: [.target(name: "User", dependencies: [.product(name: "EventdServiceKit", package: "sdk")]),
              .testTarget(name: "UserTests", dependencies: ["User", .product(name: "EventdPluginTesting", package: "sdk")])]
)
