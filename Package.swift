// swift-tools-version:6.0
import PackageDescription

// Named once, used by most targets.
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
/// The plugin ABI header, from the SDK package, so host and plugins share one copy.
let pluginABI: Target.Dependency = .product(name: "CEventdPlugin", package: "sdk")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "devtrip-eventd",
    products: [
        .executable(name: "devtrip-eventd", targets: ["devtrip-eventd"]),
        .executable(name: "devtrip-eventctl", targets: ["devtrip-eventctl"]),
    ],
    dependencies: [
        // The plugin ABI header lives in the SDK package, so host and plugins share one copy.
        .package(path: "plugins/sdk"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    ],
    targets: [
        // C libraries from Debian's -dev packages.
        .systemLibrary(name: "CRDKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        // Kafka wrapper: librdkafka handles, configuration, the embedded mock cluster.
        .target(name: "EventdKafka", dependencies: ["CRDKafka"], exclude: ["Testing"]),
        // Fault injection on the embedded cluster (brokers down, leaders moved, failing
        // requests): for tests only, the executables do not link it.
        .target(name: "EventdKafkaTesting", dependencies: ["EventdKafka", "CRDKafka"], path: "Sources/EventdKafka/Testing"),
        // Routing: event catalog, aliases, topic bindings, envelope scanning.
        .target(name: "EventdRouting"),
        // Plugin stores: the protocol delivery talks to, its SQLite (embedded) and PostgreSQL (shared) implementations.
        .target(name: "EventdStore", dependencies: ["CSQLite", "CLibPQ"]),
        // Plugin host: ABI checks, loader, registry, host function table.
        .target(name: "EventdPluginHost", dependencies: ["EventdStore", "EventdRouting", pluginABI, logging]),
        // Configuration: TOML files, validation with file and line.
        .target(name: "EventdConfig", dependencies: ["EventdRouting", "TOMLKit"]),
        // Control plane: wire format and command table shared by the server and the CLI.
        .target(name: "CEventdSocket"),
        .target(name: "EventdControl", dependencies: ["CEventdSocket", logging]),
        // Delivery: consume loops, dispatch, handler invocation, retries and delay tiers,
        // dead letters, follow-ups and the outbox relay.
        .target(name: "EventdDelivery", dependencies: [
            "EventdKafka", "EventdRouting", "EventdPluginHost", "EventdStore", "EventdConfig",
            pluginABI, logging,
        ]),
        // Daemon wiring: configuration to running groups, control handlers, systemd, metrics.
        .target(name: "EventdDaemon", dependencies: [
            "EventdDelivery", "EventdKafka", "EventdRouting", "EventdPluginHost", "EventdStore", "EventdConfig", "EventdControl", "CSystemd",
            pluginABI, logging, .product(name: "Metrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .executableTarget(name: "devtrip-eventd", dependencies: ["EventdDaemon", "EventdConfig", "EventdControl", argumentParser, logging]),
        .executableTarget(name: "devtrip-eventctl", dependencies: ["EventdConfig", "EventdControl", "EventdStore", argumentParser]),

        .testTarget(name: "EventdKafkaTests", dependencies: ["EventdKafka", "EventdKafkaTesting"]),
        .testTarget(name: "EventdRoutingTests", dependencies: ["EventdRouting"]),
        .testTarget(name: "EventdConfigTests", dependencies: ["EventdConfig", "EventdRouting"]),
        .testTarget(name: "EventdStoreTests", dependencies: ["EventdStore"]),
        .testTarget(name: "EventdPluginHostTests", dependencies: ["EventdPluginHost", "EventdRouting", pluginABI, logging]),
        .testTarget(name: "EventdDeliveryTests", dependencies: [
            "EventdDelivery", "EventdConfig", "EventdKafka", "EventdRouting", "EventdPluginHost", "EventdStore", logging,
        ]),
        .testTarget(name: "EventdDaemonTests", dependencies: [
            "EventdDaemon", "EventdDelivery", "EventdConfig", "EventdKafka", "EventdKafkaTesting", logging,
        ]),
        .testTarget(name: "EventdControlTests", dependencies: ["EventdControl", "devtrip-eventctl", argumentParser, logging]),
        .testTarget(name: "EventdEndToEndTests", dependencies: ["EventdControl", pluginABI]),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets over the parsers that read untrusted bytes (Tests/Fuzz, `make fuzz`).
// Declared only when EVENTD_FUZZ is set, so the normal build and `swift test` never see
// them; `make fuzz` builds them with -sanitize=fuzzer,address into .build-fuzz. In this
// package so that a parser's seam can be `package`, not public.
if Context.environment["EVENTD_FUZZ"] != nil {
    let sdk: Target.Dependency = .product(name: "EventdPluginSDK", package: "sdk")
    let catalog: Target.Dependency = .product(name: "EventdCatalog", package: "sdk")
    let fuzzTargets: [(String, [Target.Dependency])] = [
        ("FuzzEnvelopeScanner", ["EventdRouting"]),
        ("FuzzControlRequest", ["EventdControl"]),
        ("FuzzMetricsRequest", ["EventdDaemon"]),
        ("FuzzConfiguration", ["EventdConfig", "EventdRouting"]),
        ("FuzzSDKEnvelope", [sdk, catalog]),
    ]
    package.targets.append(.target(name: "CFuzzDriver", path: "Tests/Fuzz/CFuzzDriver"))
    for (name, dependencies) in fuzzTargets {
        package.targets.append(.executableTarget(name: name, dependencies: dependencies + ["CFuzzDriver"], path: "Tests/Fuzz/\(name)"))
    }
}
