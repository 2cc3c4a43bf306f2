// swift-tools-version:6.0
import PackageDescription

let package = Package(name: "devtrip-eventd-plugin-payment",
    products: [.library(name: "payment", type: .dynamic, targets: ["Payment"])],
    dependencies: [.package(path: "../sdk")],
    targets: [.target(name: "Payment", dependencies: [.product(name: "EventdServiceKit", package: "sdk")]),
              .testTarget(name: "PaymentTests", dependencies: ["Payment", .product(name: "EventdPluginTesting", package: "sdk")])]
)
