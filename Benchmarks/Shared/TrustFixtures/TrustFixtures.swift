// The trust graph that TrustBenchmarks measures and TrustProfile profiles: `count` peers, each
// reporting 20 others picked uniformly at random (no repeats, not itself) with random weights
// normalised to sum 1; this node's own local trust names 20 peers; 10 peers are pre-trusted. Made by
// a seeded SplitMix64, so every run builds the same graph.

import GridCore

/// Node `n`: its number big-endian in the last 4 bytes.
public func peer(_ n: Int) -> NodeID {
    var bytes = [UInt8](repeating: 0, count: 32)
    for shift in 0..<4 { bytes[31 - shift] = UInt8(truncatingIfNeeded: n >> (8 * shift)) }
    return try! NodeID(bytes: bytes)
}

public let localNode = try! NodeID(bytes: [UInt8](repeating: 0xFF, count: 32))
public let entriesPerReport = 20
public let preTrustedCount = 10

/// A report of `entriesPerReport` random peers of `peers` other than `reporter`, summing to 1.
public func randomReport(by reporter: Int, among peers: [NodeID], using rng: inout SplitMix64) -> [(node: NodeID, trust: Double)] {
    var targets: [Int] = []
    while targets.count < entriesPerReport {
        let target = Int.random(in: 0..<peers.count, using: &rng)
        if target != reporter, !targets.contains(target) { targets.append(target) }
    }
    let weights = targets.map { _ in Double.random(in: 0.05...1, using: &rng) }
    let total = weights.reduce(0, +)
    return zip(targets, weights).map { (node: peers[$0], trust: $1 / total) }
}

/// The graph at `count` peers, with every report stored (not yet computed).
public func makeGraph(count: Int) -> (graph: TrustGraph, peers: [NodeID]) {
    var rng = SplitMix64(seed: 0x7275_7374 &+ UInt64(count))
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
