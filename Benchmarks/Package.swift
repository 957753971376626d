// swift-tools-version: 6.1
import PackageDescription

// Benchmarks for Grid (ordo-one/benchmark): the wire protocol (WireBenchmarks) and trust
// (TrustBenchmarks). Run from this directory:
//
//     swift package benchmark
//     swift package benchmark --filter 'trust.*'
//
// Results and how to read them: ../docs/BENCHMARKS.md (wire) and ../docs/TRUST.md (trust). This
// package builds in its own Benchmarks/.build, never in the root package's .build.
let package = Package(
    name: "GridBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(name: "Grid", path: ".."),
        // Same versions as the root package: ByteBuffer (the receive path's input) and the
        // protobuf runtime (the per-stage breakdown benchmarks call serializedBytes()).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    ],
    targets: [
        .executableTarget(
            name: "WireBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "GridCore", package: "Grid"),
                .product(name: "GridCrypto", package: "Grid"),
                .product(name: "GridWire", package: "Grid"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Benchmarks/WireBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
        .executableTarget(
            name: "TrustBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "GridCore", package: "Grid"),
                "TrustFixtures",
            ],
            path: "Benchmarks/TrustBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
        // Not a benchmark: a driver that repeats one operation, for callgrind or perf (see its header).
        .executableTarget(
            name: "WireProfile",
            dependencies: [
                .product(name: "GridCore", package: "Grid"),
                .product(name: "GridCrypto", package: "Grid"),
                .product(name: "GridWire", package: "Grid"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Profile/WireProfile"
        ),
        // Whole tasks through the local socket of real node processes: latency, throughput, idle
        // RSS (see its header; results in docs/BENCHMARKS.md).
        .executableTarget(
            name: "TaskLoad",
            dependencies: [
                .product(name: "GridClient", package: "Grid"),
                .product(name: "GridLocalAPI", package: "Grid"),
            ],
            path: "Profile/TaskLoad"
        ),
        // The trust graph both of the trust targets use.
        .target(
            name: "TrustFixtures",
            dependencies: [.product(name: "GridCore", package: "Grid")],
            path: "Shared/TrustFixtures"
        ),
        // The same for TrustGraph.
        .executableTarget(
            name: "TrustProfile",
            dependencies: [.product(name: "GridCore", package: "Grid"), "TrustFixtures"],
            path: "Profile/TrustProfile"
        ),
    ],
    swiftLanguageModes: [.v6]
)
