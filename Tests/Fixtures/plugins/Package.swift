// swift-tools-version:6.0
// Plugin fixtures for the daemon's loader tests: one tiny C plugin per
// refusal (or acceptance) case, each built as its own shared library
// `.build/<config>/libfixture-*.so`. They need only the ABI header from the SDK
// and FixturePlugin, the no-op instance most of them share.
import PackageDescription

/// (product name, target name) — one dynamic library per fixture.
let fixtures: [(product: String, target: String)] = [
    ("fixture-wrong-abi", "FixtureWrongAbi"),
    ("fixture-small-struct", "FixtureSmallStruct"),
    ("fixture-no-entry", "FixtureNoEntry"),
    ("fixture-dup-name", "FixtureDupName"),
    ("fixture-claim-a", "FixtureClaimA"),
    ("fixture-claim-b", "FixtureClaimB"),
    ("fixture-shared-a", "FixtureSharedA"),
    ("fixture-shared-b", "FixtureSharedB"),
    ("fixture-init-fail", "FixtureInitFail"),
    ("fixture-counter", "FixtureCounter"),
    ("fixture-tx-counter", "FixtureTxCounter"),
    ("fixture-abi-two", "FixtureAbiTwo"),
    ("fixture-v1-size", "FixtureV1Size"),
]

let package = Package(
    name: "devtrip-eventd-plugin-fixtures",
    products: fixtures.map { .library(name: $0.product, type: .dynamic, targets: [$0.target]) },
    dependencies: [.package(path: "../../../plugins/sdk")],
    targets: [
        .target(name: "FixturePlugin", dependencies: [.product(name: "CEventdPlugin", package: "sdk")]),
    ] + fixtures.map {
        // Fixtures export no header of their own; "." keeps SwiftPM from
        // requiring an (untrackable, empty) include/ directory per target.
        .target(
            name: $0.target,
            dependencies: ["FixturePlugin", .product(name: "CEventdPlugin", package: "sdk")],
            publicHeadersPath: "."
        )
    },
    swiftLanguageModes: [.v6]
)
