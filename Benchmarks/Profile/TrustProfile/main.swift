// A small driver for attributing TrustGraph's cost with perf or callgrind (not a benchmark:
// `swift package benchmark` runs only the targets under Benchmarks/). It builds the graph of
// TrustBenchmarks.swift (Shared/TrustFixtures, which both use) with N
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
import TrustFixtures

let arguments = CommandLine.arguments
guard arguments.count == 4, let peerCount = Int(arguments[2]), let count = Int(arguments[3]),
    ["scratch", "incremental", "recompute", "receive"].contains(arguments[1])
else {
    print("usage: TrustProfile scratch|incremental|recompute|receive <peers> <count>")
    exit(2)
}

func nanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

var (graph, ids) = makeGraph(count: peerCount)
graph.recompute()
var rng = SplitMix64(seed: 99)
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
