// Trust benchmarks: what TrustGraph costs a node at 1,000 and 10,000 peers. Results and method:
// ../../../docs/TRUST.md.
//
// The graph: `count` peers, each reporting 20 others picked uniformly at random (no repeats, not
// itself) with random weights normalised to sum 1, as a TrustReport carries them; this node's own
// local trust names 20 peers; 10 peers are pre-trusted. It is made by a seeded SplitMix64
// (Shared/TrustFixtures, shared with TrustProfile), so every
// run measures the same graph. Every benchmark runs one operation per sample (scalingFactor .one);
// the recompute benchmarks also report how many power-iteration steps each recompute took.

import Benchmark
import GridCore
import TrustFixtures

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
        var rng = SplitMix64(seed: 99)
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
    var rng = SplitMix64(seed: 7)
    let reports = (0..<2).map { _ in randomReport(by: 1234, among: peers, using: &rng) }
    var epoch: UInt64 = 1
    Benchmark("trust receiveReport 20 entries", configuration: perOperation) { benchmark in
        for _ in benchmark.scaledIterations {
            epoch += 1
            blackHole(try! graph.receiveReport(from: peers[1234], epoch: epoch, entries: reports[Int(epoch % 2)]))
        }
    }
}
