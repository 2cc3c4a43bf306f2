// swift-tools-version:6.0
// The auth plugin: the Authentication Service's consumer rows of the event catalog.
import PackageDescription

let package = Package(name: "devtrip-eventd-plugin-auth",
    products: [.library(name: "auth", type: .dynamic, targets: ["Auth"])],
    dependencies: [.package(path: "../sdk")],
    targets: [.target(name: "Auth", dependencies: [.product(name: "EventdServiceKit", package: "sdk")]),
              .testTarget(name: "AuthTests", dependencies: ["Auth", .product(name: "EventdPluginTesting", package: "sdk")])]
)
