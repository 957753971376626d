// A small driver for attributing TrustGraph's cost with perf or callgrind (not a benchmark:
// `swift package benchmark` runs only the targets under Benchmarks/). It builds the graph of
// TrustBenchmarks.swift (the fixtures below are a copy of that file's: keep them in step) with N
// peers and repeats one operation `count` times, then prints the median time per operation and
// the last recompute's Computation:
//
//     swift build -c release --product TrustProfile
//     .build/release/TrustProfile scratch 10000 100
//     perf record -g .build/release/TrustProfile incremental 10000 300
//
// Operations: scratch (recomputeFromScratch), incremental (one report replaced, then recompute),
// recompute (recompute with nothing changed: the reachability pass plus one step), receive (1000
// receiveReport calls of 20 entries per repetition).

import Foundation
import GridCore

let arguments = CommandLine.arguments
guard arguments.count == 4, let peerCount = Int(arguments[2]), let count = Int(arguments[3]),
    ["scratch", "incremental", "recompute", "receive"].contains(arguments[1])
else {
    print("usage: TrustProfile scratch|incremental|recompute|receive <peers> <count>")
    exit(2)
}

/// SplitMix64: a deterministic generator, so every run builds the same graph.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Node `n`: its number big-endian in the last 4 bytes.
func peer(_ n: Int) -> NodeID {
    var bytes = [UInt8](repeating: 0, count: 32)
    for shift in 0..<4 { bytes[31 - shift] = UInt8(truncatingIfNeeded: n >> (8 * shift)) }
    return try! NodeID(bytes: bytes)
}

let localNode = try! NodeID(bytes: [UInt8](repeating: 0xFF, count: 32))
let entriesPerReport = 20
let preTrustedCount = 10

/// A report of `entriesPerReport` random peers of `peers` other than `reporter`, summing to 1.
func randomReport(by reporter: Int, among peers: [NodeID], using rng: inout SplitMix64) -> [(node: NodeID, trust: Double)] {
    var targets: [Int] = []
    while targets.count < entriesPerReport {
        let target = Int.random(in: 0..<peers.count, using: &rng)
        if target != reporter, !targets.contains(target) { targets.append(target) }
    }
    let weights = targets.map { _ in Double.random(in: 0.05...1, using: &rng) }
    let total = weights.reduce(0, +)
    return zip(targets, weights).map { (node: peers[$0], trust: $1 / total) }
}

/// The benchmark graph at `count` peers, with every report stored (not yet computed).
func makeGraph(count: Int) -> (graph: TrustGraph, peers: [NodeID]) {
    var rng = SplitMix64(state: 0x7275_7374 &+ UInt64(count))
    let peers = (0..<count).map(peer)
    var graph = TrustGraph(localNode: localNode, preTrusted: Set(peers.prefix(preTrustedCount)))
    var local: [NodeID: Double] = [:]
    while local.count < entriesPerReport { local[peers[Int.random(in: 0..<count, using: &rng)]] = Double.random(in: 1...10, using: &rng) }
    graph.setLocalTrust(local)
    for index in peers.indices {
        try! graph.receiveReport(from: peers[index], epoch: 1, entries: randomReport(by: index, among: peers, using: &rng))
    }
    return (graph, peers)
}

func nanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

var (graph, ids) = makeGraph(count: peerCount)
graph.recompute()
var rng = SplitMix64(state: 99)
let changing = peerCount / 2
let reports = (0..<2).map { _ in randomReport(by: changing, among: ids, using: &rng) }
var epoch: UInt64 = 1
var times: [UInt64] = []
for _ in 0..<count {
    let start = nanoseconds()
    switch arguments[1] {
    case "scratch":
        graph.recomputeFromScratch()
    case "incremental":
        epoch += 1
        try! graph.receiveReport(from: ids[changing], epoch: epoch, entries: reports[Int(epoch % 2)])
        graph.recompute()
    case "recompute":
        graph.recompute()
    default:
        for _ in 0..<1000 {
            epoch += 1
            try! graph.receiveReport(from: ids[changing], epoch: epoch, entries: reports[Int(epoch % 2)])
        }
    }
    times.append(nanoseconds() - start)
}
times.sort()
print("\(arguments[1]) \(peerCount) peers: median \(Double(times[times.count / 2]) / 1000) µs per repetition")
print(graph.lastComputation.map { "\($0)" } ?? "no recompute")
