import GridCore
import GridTestKit

// Fixtures for TrustGraphTests: numbered node IDs, a dense reference computation, random graphs.

/// A node ID for any number (`node(_:)` has only 256): 0xA0, zeros, then `n` big-endian.
func numberedNode(_ n: Int) -> NodeID {
    var bytes = [UInt8](repeating: 0, count: 32)
    bytes[0] = 0xA0
    for shift in 0..<4 { bytes[31 - shift] = UInt8(truncatingIfNeeded: n >> (8 * shift)) }
    return try! NodeID(bytes: bytes)
}

/// A report's entries as the tests write them.
typealias TrustEntries = [(node: NodeID, trust: Double)]

/// Global trust computed independently of TrustGraph: the model's fixed point solved exactly,
/// `(I − (1−a)·Cᵀ)·t = a·p`, by Gaussian elimination over a dense matrix. `rows` are raw (each is
/// normalised here, self-entries dropped); a node without a row, or with an empty one, gets `p`.
func denseTrust(
    nodes: [NodeID], rows: [NodeID: [NodeID: Double]], pTo pre: Set<NodeID>, a: Double
) -> [NodeID: Double] {
    let n = nodes.count
    let position = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1, $0) })
    let p = nodes.map { pre.contains($0) ? 1 / Double(pre.count) : 0 }
    var c = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    for (i, node) in nodes.enumerated() {
        let row = (rows[node] ?? [:]).filter { $0.key != node && $0.value > 0 }
        let total = row.values.reduce(0, +)
        if total > 0 {
            for (target, value) in row { c[i][position[target]!] = value / total }
        } else {
            c[i] = p
        }
    }
    // m·t = b with m = I − (1−a)·Cᵀ, b = a·p.
    var m = [[Double]](repeating: [Double](repeating: 0, count: n + 1), count: n)
    for j in 0..<n {
        for i in 0..<n { m[j][i] = (i == j ? 1 : 0) - (1 - a) * c[i][j] }
        m[j][n] = a * p[j]
    }
    for column in 0..<n {
        let pivot = (column..<n).max { abs(m[$0][column]) < abs(m[$1][column]) }!
        m.swapAt(column, pivot)
        for r in 0..<n where r != column {
            let factor = m[r][column] / m[column][column]
            if factor != 0 { for k in column...n { m[r][k] -= factor * m[column][k] } }
        }
    }
    return Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1, m[$0][n] / m[$0][$0]) })
}

/// A deterministic random graph: `count` peers, each reporting `perReport` others with random
/// weights summing to 1; the first `preTrustedCount` are pre-trusted.
struct RandomTrustGraph {
    var peers: [NodeID]
    var preTrusted: Set<NodeID>
    var reports: [(reporter: NodeID, entries: TrustEntries)]

    init(count: Int, perReport: Int, preTrustedCount: Int, seed: UInt64) {
        var rng = SeededRandomNumberGenerator(seed: seed)
        peers = (0..<count).map { numberedNode(1000 + $0) }
        preTrusted = Set(peers.prefix(preTrustedCount))
        reports = []
        for (index, reporter) in peers.enumerated() {
            var targets: [Int] = []
            while targets.count < perReport {
                let target = Int.random(in: 0..<count, using: &rng)
                if target != index, !targets.contains(target) { targets.append(target) }
            }
            let weights = targets.map { _ in Double.random(in: 0.1...1, using: &rng) }
            let total = weights.reduce(0, +)
            reports.append((reporter, zip(targets, weights).map { (node: peers[$0], trust: $1 / total) }))
        }
    }

    func graph(local: NodeID, settings: TrustGraph.Settings) throws -> TrustGraph {
        var graph = TrustGraph(localNode: local, preTrusted: preTrusted, settings: settings)
        graph.setLocalTrust([peers[0]: 1, peers[1]: 2])
        for (reporter, entries) in reports { try graph.receiveReport(from: reporter, epoch: 1, entries: entries) }
        return graph
    }
}
