// swift-tools-version: 6.1
import PackageDescription

/// Settings every Swift target shares: Swift 6 language mode with complete strict concurrency,
/// explicit existentials and imports that must be visible where members are used, and nonisolated async functions
/// that run on their caller's executor (SE-0461): `for try await` + `ack()` on the main actor (or any actor) then
/// makes no executor hop per delivery, where a hop to the global pool and back costs two thread wake-ups.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "MessageBus",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MessageBus", targets: ["MessageBus"]),
        .library(name: "MessageBusKafka", targets: ["MessageBusKafka"]),
        .library(name: "MessageBusRabbitMQ", targets: ["MessageBusRabbitMQ"]),
        .library(name: "MessageBusConformance", targets: ["MessageBusConformance"]),
        .library(name: "MessageBridge", targets: ["MessageBridge"]),
        .executable(name: "messagebus", targets: ["messagebus-cli"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-service-context", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        // `make docs` only: a command plugin, built when invoked, never part of `swift build`.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // MARK: C libraries, found through pkg-config; module maps and shims only.
        .systemLibrary(
            name: "CMessageBusRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"]), .brew(["librdkafka"])]
        ),
        .systemLibrary(
            name: "CMessageBusRabbitMQ",
            pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"]), .brew(["rabbitmq-c"])]
        ),

        // MARK: The facade and its in-memory backend (no C library needed).
        .target(
            name: "MessageBus",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceContextModule", package: "swift-service-context"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Backends on the C libraries.
        .target(
            name: "MessageBusKafka",
            dependencies: [
                "MessageBus",
                "CMessageBusRdKafka",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MessageBusRabbitMQ",
            dependencies: [
                "MessageBus",
                "CMessageBusRabbitMQ",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: The conformance suite every backend must pass, shipped for users' own configurations.
        .target(
            name: "MessageBusConformance",
            dependencies: [
                "MessageBus",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceContextModule", package: "swift-service-context"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: The bridge that copies messages from one bus to another (migration between brokers); any two buses,
        // so it depends on the facade only. Its de-duplication store is SQLite through GRDB.
        .target(
            name: "MessageBridge",
            dependencies: [
                "MessageBus",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: The command-line demo and tool.
        .executableTarget(
            name: "messagebus-cli",
            dependencies: [
                "MessageBus",
                "MessageBusKafka",
                "MessageBusRabbitMQ",
                "MessageBridge",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: The README's quick start, runnable: `swift run QuickStart [URL]`.
        .executableTarget(
            name: "QuickStart",
            dependencies: [
                "MessageBus",
                "MessageBusKafka",
                "MessageBusRabbitMQ",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/QuickStart",
            swiftSettings: swiftSettings
        ),

        // MARK: Examples, each runnable with `swift run NAME [URL]` (scripts/demo.sh runs them all).
        example("Microservice", [
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        example("CodableConsumer"),
        example("KafkaTransform"),
        example("RabbitMQRPC"),
        example("Migration", ["MessageBridge"], exclude: ["README.md"]),

        // MARK: Benchmarks: MessageBus against the raw C libraries on the same brokers (`make bench`).
        .executableTarget(
            name: "messagebus-bench",
            dependencies: [
                "MessageBus",
                "MessageBusKafka",
                "MessageBusRabbitMQ",
                "CMessageBusRdKafka",
                "CMessageBusRabbitMQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/MessageBusBench",
            swiftSettings: swiftSettings
        ),

        // MARK: Chaos: faults between the clients and real brokers, one table row per scenario (`make chaos`).
        .executableTarget(
            name: "messagebus-chaos",
            dependencies: [
                "MessageBus",
                "MessageBusKafka",
                "MessageBusRabbitMQ",
                "MessageBusIntegrationSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Chaos/MessageBusChaos",
            swiftSettings: swiftSettings
        ),

        // MARK: Tests.
        .testTarget(
            name: "MessageBusTests",
            dependencies: [
                "MessageBus",
                "MessageBusIntegrationSupport",
                "MessageBusConformance",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Shared by the integration test targets: the opt-out gate and the unreachable-broker failure.
        .target(
            name: "MessageBusIntegrationSupport",
            dependencies: ["MessageBus", .product(name: "DequeModule", package: "swift-collections")],
            path: "Tests/MessageBusIntegrationSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MessageBusKafkaTests",
            dependencies: [
                "MessageBusIntegrationSupport",
                "MessageBusKafka",
                "CMessageBusRdKafka",
                "MessageBusConformance",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MessageBusRabbitMQTests",
            dependencies: [
                "MessageBusIntegrationSupport",
                "MessageBusRabbitMQ",
                "CMessageBusRabbitMQ",
                "MessageBusConformance",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Support/rabbitmq-test-node.sh"],
            swiftSettings: swiftSettings
        ),
            .testTarget(
            name: "MessageBridgeTests",
            dependencies: [
                "MessageBridge",
                "messagebus-cli",
                "MessageBusIntegrationSupport",
                "MessageBusKafka",
                "MessageBusRabbitMQ",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Runs the built `messagebus` executable (a dependency, so it is built first) on memory:// and the brokers.
        .testTarget(
            name: "MessageBusCLITests",
            dependencies: ["MessageBusIntegrationSupport", "MessageBus", "messagebus-cli"],
            swiftSettings: swiftSettings
        ),
    ]
)

/// An executable example under `Examples/NAME` on the library and every backend, plus `extra` dependencies;
/// `exclude` names files of the folder that are not sources (its README).
func example(_ name: String, _ extra: [Target.Dependency] = [], exclude: [String] = []) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            "MessageBus",
            "MessageBusKafka",
            "MessageBusRabbitMQ",
            .product(name: "Logging", package: "swift-log"),
        ] + extra,
        path: "Examples/\(name)",
        exclude: exclude,
        swiftSettings: swiftSettings
    )
}
