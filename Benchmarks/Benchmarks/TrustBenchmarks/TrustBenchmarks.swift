// Trust benchmarks: what TrustGraph costs a node at 1,000 and 10,000 peers. Results and method:
// ../../../docs/TRUST.md.
//
// The graph: `count` peers, each reporting 20 others picked uniformly at random (no repeats, not
// itself) with random weights normalised to sum 1, as a TrustReport carries them; this node's own
// local trust names 20 peers; 10 peers are pre-trusted. It is made by a seeded SplitMix64, so every
// run measures the same graph. Every benchmark runs one operation per sample (scalingFactor .one);
// the recompute benchmarks also report how many power-iteration steps each recompute took.

import Benchmark
import GridCore

// MARK: - Fixtures

/// SplitMix64: a deterministic generator, so every run builds the same graph.
private struct SplitMix64: RandomNumberGenerator {
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
private func peer(_ n: Int) -> NodeID {
    var bytes = [UInt8](repeating: 0, count: 32)
    for shift in 0..<4 { bytes[31 - shift] = UInt8(truncatingIfNeeded: n >> (8 * shift)) }
    return try! NodeID(bytes: bytes)
}

private let localNode = try! NodeID(bytes: [UInt8](repeating: 0xFF, count: 32))
private let entriesPerReport = 20
private let preTrustedCount = 10

/// A report of `entriesPerReport` random peers of `peers` other than `reporter`, summing to 1.
private func randomReport(by reporter: Int, among peers: [NodeID], using rng: inout SplitMix64) -> [(node: NodeID, trust: Double)] {
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
private func makeGraph(count: Int) -> (graph: TrustGraph, peers: [NodeID]) {
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

// MARK: - Benchmarks

let benchmarks: @Sendable () -> Void = {
    let steps = BenchmarkMetric.custom("iterations to converge")
    let recomputeConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, steps], timeUnits: .microseconds, units: [steps: .count],
        warmupIterations: 3, scalingFactor: .one, maxDuration: .seconds(3), maxIterations: 2_000)
    let perOperation = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal], timeUnits: .nanoseconds, warmupIterations: 100,
        scalingFactor: .one, maxDuration: .seconds(2), maxIterations: 1_000_000)

    for count in [1_000, 10_000] {
        // From p, every time: the cost of the first recompute, or of one after a restart.
        var scratch = makeGraph(count: count).graph
        Benchmark("trust recompute from scratch \(count) nodes", configuration: recomputeConfiguration) { benchmark in
            for _ in benchmark.scaledIterations {
                let computation = scratch.recomputeFromScratch()
                precondition(computation.converged, "did not converge: \(computation)")
                benchmark.measurement(steps, computation.iterations)
            }
        }

        // One peer's report replaced by a newer one, then a recompute from the previous result:
        // the steady state, where reports trickle in between recomputes. The peer alternates between
        // two different reports, so every recompute has a real change to absorb.
        var (incremental, peers) = makeGraph(count: count)
        incremental.recompute()
        var rng = SplitMix64(state: 99)
        let changing = count / 2
        let reports = (0..<2).map { _ in randomReport(by: changing, among: peers, using: &rng) }
        var epoch: UInt64 = 1
        Benchmark("trust recompute incremental \(count) nodes one report changed", configuration: recomputeConfiguration) { benchmark in
            for _ in benchmark.scaledIterations {
                epoch += 1
                try! incremental.receiveReport(from: peers[changing], epoch: epoch, entries: reports[Int(epoch % 2)])
                let computation = incremental.recompute()
                precondition(computation.converged, "did not converge: \(computation)")
                benchmark.measurement(steps, computation.iterations)
            }
        }
    }

    // Taking one 20-entry report (validation, renormalisation, replacing the reporter's previous
    // one) in a graph of 10,000 peers.
    var (graph, peers) = makeGraph(count: 10_000)
    var rng = SplitMix64(state: 7)
    let reports = (0..<2).map { _ in randomReport(by: 1234, among: peers, using: &rng) }
    var epoch: UInt64 = 1
    Benchmark("trust receiveReport 20 entries", configuration: perOperation) { benchmark in
        for _ in benchmark.scaledIterations {
            epoch += 1
            blackHole(try! graph.receiveReport(from: peers[1234], epoch: epoch, entries: reports[Int(epoch % 2)]))
        }
    }
}
