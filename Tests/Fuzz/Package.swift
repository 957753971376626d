// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for Grid's wire code. Build and run them with scripts/fuzz.sh (see README.md).
//
// The modules under test (GridCore, GridCrypto, GridWire, GridLocalAPI, CSodium) are not products of the root
// package, and a package can only depend on another package's products. So this package compiles
// the root's sources itself, through the symlinks in Sources/ (Sources/GridWire ->
// ../../../Sources/GridWire, ...), under the same module names so they build unchanged. It does
// not depend on the root package: target names must be unique across a package graph, and the
// root declares the same four. The dependencies are the root's, at the same versions.
let package = Package(
    name: "GridFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // GridCore's latency histograms (the per-node metrics issue asks for HDR histograms).
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        // Mirrors of the root package's targets (same sources, same settings).
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
            name: "GridLocalAPI",
            dependencies: ["GridCore", .product(name: "NIOCore", package: "swift-nio")]
        ),

        // The fuzz targets: each defines LLVMFuzzerTestOneInput (and nothing else runs at top
        // level: -parse-as-library). SwiftPM links every Swift executable with
        // `--defsym main=<module>_main`, so FuzzDriver defines those `<module>_main` functions and
        // hands control to libFuzzer's driver (LLVMFuzzerRunDriver); see Sources/FuzzDriver/driver.c.
        .target(name: "FuzzDriver"),
        .executableTarget(
            name: "FuzzFrameDecoder",
            dependencies: ["FuzzDriver", "GridCore", "GridWire", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "FuzzEnvelope",
            dependencies: [
                "FuzzDriver", "GridCore", "GridCrypto", "GridWire",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "FuzzLocalAPI",
            dependencies: ["FuzzDriver", "GridCore", "GridLocalAPI", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "FuzzHandshake",
            dependencies: ["FuzzDriver", "GridCore", "GridCrypto", "GridWire"],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ],
    swiftLanguageModes: [.v6]
)
