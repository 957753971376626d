// swift-tools-version: 6.1
import PackageDescription

// Module map and import rules: ../shared/DESIGN.md and docs/ARCHITECTURE.md.
let package = Package(
    name: "Grid",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gridnode", targets: ["gridnode"]),
        .library(name: "GridClient", targets: ["GridClient"]),
        // The local API's request and result types, which GridClient's methods take and return.
        .library(name: "GridLocalAPI", targets: ["GridLocalAPI"]),
        // For the benchmark and fuzzing packages, which build against the same code.
        .library(name: "GridCore", targets: ["GridCore"]),
        .library(name: "GridCrypto", targets: ["GridCrypto"]),
        .library(name: "GridWire", targets: ["GridWire"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // GridCore's latency histograms (Metrics/): the per-node metrics issue asks for HDR
        // histograms, so this is the one package GridCore imports. Pure Swift, no Foundation,
        // no I/O; it brings swift-numerics.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .target(
            name: "GridCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .target(
            name: "GridCrypto",
            dependencies: ["GridCore", "CSodium"]
        ),
        .target(
            name: "GridWire",
            dependencies: [
                "GridCore", "GridCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Generated/README.md"]
        ),
        .target(
            name: "GridStore",
            dependencies: ["GridCore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "GridLocalAPI",
            dependencies: ["GridCore", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .target(
            name: "GridNode",
            dependencies: [
                "GridCore", "GridCrypto", "GridWire", "GridStore", "GridLocalAPI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "GridClient",
            dependencies: [
                "GridCore", "GridLocalAPI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "gridnode",
            dependencies: [
                "GridNode", "GridClient", "GridCore", "GridCrypto", "GridLocalAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // README's "Serve your own skill": an application serving a skill from Swift.
        .executableTarget(name: "grid-serve-example", dependencies: ["GridClient"]),
        .target(
            name: "GridTestKit",
            dependencies: [
                "GridCore", "GridCrypto", "GridWire", "GridNode", "GridClient", "GridLocalAPI",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The grid-scale simulation of lying providers (docs/TRUST.md): `swift run -c release gridsim --help`.
        .executableTarget(
            name: "gridsim",
            dependencies: ["GridCore", "GridTestKit", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "GridCoreTests", dependencies: ["GridCore", "GridTestKit"]),
        .testTarget(name: "GridCryptoTests", dependencies: ["GridCrypto"]),
        .testTarget(
            name: "GridWireTests",
            dependencies: [
                "GridWire", "GridCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "GridStoreTests", dependencies: ["GridStore"]),
        .testTarget(
            name: "GridLocalAPITests",
            dependencies: [
                "GridLocalAPI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "GridNodeTests",
            dependencies: [
                "GridNode", "GridTestKit", "GridClient", "GridLocalAPI", "GridWire", "GridCrypto", "GridStore",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "GridClientTests",
            dependencies: ["GridClient", "GridTestKit", "GridLocalAPI", "GridCore", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]
        ),
        .testTarget(name: "gridnodeTests", dependencies: ["gridnode", "GridTestKit"]),
    ],
    swiftLanguageModes: [.v6]
)
