// swift-tools-version:6.0
// Benchmark plugin: handles every event it is routed and does nothing but
// count (see Sources/Noop/noop.c). Built by Benchmarks/run.sh, never shipped.
import PackageDescription

let package = Package(
    name: "devtrip-eventd-bench-noop",
    products: [.library(name: "noop", type: .dynamic, targets: ["Noop"])],
    dependencies: [.package(path: "../../../plugins/sdk")],
    targets: [
        .target(name: "Noop", dependencies: [.product(name: "CEventdPlugin", package: "sdk")],
                cSettings: [.unsafeFlags(["-O2"])]),
    ],
    swiftLanguageModes: [.v6]
)
