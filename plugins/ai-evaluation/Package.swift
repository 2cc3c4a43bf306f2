// swift-tools-version:6.0
// The AI evaluation service as a devtrip-eventd plugin (see README.md).
import PackageDescription

let package = Package(name: "devtrip-eventd-plugin-ai-evaluation",
    products: [.library(name: "ai-evaluation", type: .dynamic, targets: ["AIEvaluation"])],
    dependencies: [.package(path: "../sdk")],
    targets: [.target(name: "AIEvaluation", dependencies: [.product(name: "EventdServiceKit", package: "sdk")]),
              .testTarget(name: "AIEvaluationTests", dependencies: ["AIEvaluation", .product(name: "EventdPluginTesting", package: "sdk")])]
)
