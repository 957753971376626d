import GridCore
import GridTestKit
import Testing

/// A node ID for any number (`node(_:)` has only 256): 0xA0, zeros, then `n` big-endian.
private func peer(_ n: Int) -> NodeID {
    var bytes = [UInt8](repeating: 0, count: 32)
    bytes[0] = 0xA0
    for shift in 0..<4 { bytes[31 - shift] = UInt8(truncatingIfNeeded: n >> (8 * shift)) }
    return try! NodeID(bytes: bytes)
}

/// Reports no node may accept, one per rule.
private let malformedReports: [(name: String, entries: [(node: NodeID, trust: Double)])] = [
    ("too many entries", (0..<1001).map { (node: peer($0), trust: 0.0005) }),
    ("duplicate node", [(node(3), 0.2), (node(4), 0.2), (node(3), 0.1)]),
    ("sum above 1", [(node(3), 0.6), (node(4), 0.4 + 1e-6)]),
    ("negative", [(node(3), 0.5), (node(4), -0.1)]),
    ("above 1", [(node(3), 1.5)]),
    ("NaN", [(node(3), .nan)]),
]

/// A report as the tests write it.
private typealias Report = [(node: NodeID, trust: Double)]

/// Global trust computed independently of TrustGraph: the model's fixed point solved exactly,
/// `(I − (1−a)·Cᵀ)·t = a·p`, by Gaussian elimination over a dense matrix. `rows` are raw (each is
/// normalised here, self-entries dropped); a node without a row, or with an empty one, gets `p`.
private func denseTrust(
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
private struct RandomGraph {
    var peers: [NodeID]
    var preTrusted: Set<NodeID>
    var reports: [(reporter: NodeID, entries: Report)]

    init(count: Int, perReport: Int, preTrustedCount: Int, seed: UInt64) {
        var rng = SeededRandomNumberGenerator(seed: seed)
        peers = (0..<count).map { peer(1000 + $0) }
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

@Suite struct TrustGraphTests {
    let local = node(1)
    /// Tight enough that the iteration's result equals the exact fixed point to ~1e-12.
    let exact = TrustGraph.Settings(tolerance: 1e-13, maxIterations: 2000)

    // MARK: - Numbers

    @Test func twoNodeCycleMatchesHandComputedValues() throws {
        // p = this node L. L trusts A fully, A trusts L fully:
        // t_L = (1−a)·t_A + a, t_A = (1−a)·t_L  ⇒  t_L = 1/(2−a), t_A = (1−a)/(2−a).
        var graph = TrustGraph(localNode: local, preTrusted: [], settings: exact)
        graph.setLocalTrust([node(2): 5])
        try graph.receiveReport(from: node(2), epoch: 1, entries: [(local, 1)])
        let computation = graph.recompute()
        #expect(computation.converged)
        #expect(computation.nodes == 2 && computation.edges == 2)
        #expect(abs(graph.globalTrust(of: local) - 1 / 1.85) < 1e-12)
        #expect(abs(graph.globalTrust(of: node(2)) - 0.85 / 1.85) < 1e-12)
    }

    @Test func localTrustSplitsAsHandComputed() {
        // L trusts A and B 3:1; neither has a row, so both defer to p = L.
        // t_L = a + (1−a)·(t_A + t_B) = a + (1−a)·(1 − t_L)  ⇒  t_L = 1/(2−a); t_A = (1−a)·¾·t_L.
        var graph = TrustGraph(localNode: local, preTrusted: [], settings: exact)
        graph.setLocalTrust([node(2): 3, node(3): 1])
        graph.recompute()
        #expect(abs(graph.globalTrust(of: local) - 1 / 1.85) < 1e-12)
        #expect(abs(graph.globalTrust(of: node(2)) - 0.85 * 0.75 / 1.85) < 1e-12)
        #expect(abs(graph.globalTrust(of: node(3)) - 0.85 * 0.25 / 1.85) < 1e-12)
        #expect(graph.trustScore(of: node(2)) == 1)
        #expect(abs(graph.trustScore(of: node(3)) - 1.0 / 3) < 1e-12)
    }

    @Test func matchesADenseSolutionOnASmallGraph() throws {
        // Two pre-trusted nodes (4, 5), reporters with uneven weights, a self-entry (6), a report of
        // zeros (7), a node named but silent (8), and a pair (9, 10) nobody outside vouches for.
        let rows: [NodeID: [NodeID: Double]] = [
            local: [node(2): 2, node(3): 1],
            node(2): [node(3): 0.5, node(4): 0.25, node(8): 0.25],
            node(3): [node(2): 0.6, local: 0.2],
            node(4): [node(6): 0.7, node(2): 0.3],
            node(5): [node(4): 0.5],
            node(6): [node(6): 0.5, node(3): 0.4, node(9): 0.1],
            node(7): [node(2): 0, node(3): 0],
            node(9): [node(10): 1],
            node(10): [node(9): 1],
        ]
        var graph = TrustGraph(localNode: local, preTrusted: [node(4), node(5)], settings: exact)
        graph.setLocalTrust(rows[local]!)
        for (reporter, entries) in rows.sorted(by: { $0.key < $1.key }) where reporter != local {
            try graph.receiveReport(from: reporter, epoch: 1, entries: entries.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        }
        let computation = graph.recompute()
        #expect(computation.converged)
        #expect(computation.nodes == 10)
        let expected = denseTrust(
            nodes: [local] + (2...10).map { node(UInt8($0)) }, rows: rows, pTo: [local, node(4), node(5)], a: 0.15)
        for (id, value) in expected {
            #expect(abs(graph.globalTrust(of: id) - value) < 1e-10, "node \(id.short)")
        }
        // 9 and 10 are reached through 6, whom a pre-trusted node vouches for: they get some.
        #expect(graph.globalTrust(of: node(9)) > 0)
    }

    @Test func massSumsToOne() throws {
        let random = RandomGraph(count: 400, perReport: 12, preTrustedCount: 6, seed: 7)
        var graph = try random.graph(local: local, settings: .default)
        graph.recompute()
        let everyone = [local] + random.peers
        #expect(abs(everyone.reduce(0) { $0 + graph.globalTrust(of: $1) } - 1) < 1e-12)
        try graph.receiveReport(from: random.peers[3], epoch: 2, entries: [(random.peers[9], 0.5)])
        graph.recompute()
        #expect(abs(everyone.reduce(0) { $0 + graph.globalTrust(of: $1) } - 1) < 1e-12)
        #expect(everyone.allSatisfy { (0...1).contains(graph.globalTrust(of: $0)) })
    }

    // MARK: - Pre-trust and Sybils

    @Test func aNodeOnlyAPreTrustedNodeVouchesForGetsTrust() throws {
        var graph = TrustGraph(localNode: local, preTrusted: [node(2)])
        try graph.receiveReport(from: node(2), epoch: 1, entries: [(node(3), 1)])
        graph.recompute()
        #expect(graph.globalTrust(of: node(3)) > 0.1)
        #expect(graph.trustScore(of: node(3)) > 0)
        #expect(graph.ranking().map(\.node).contains(node(3)))
        // Without the pre-trust, nothing leads to node 2 or 3.
        graph.setPreTrusted([])
        graph.recompute()
        #expect(graph.globalTrust(of: node(3)) == 0)
        #expect(graph.globalTrust(of: node(2)) == 0)
    }

    @Test func withoutPreTrustOrLocalTrustEveryPeerScoresZero() throws {
        var graph = TrustGraph(localNode: local, preTrusted: [])
        try graph.receiveReport(from: node(2), epoch: 1, entries: [(node(3), 0.9)])
        try graph.receiveReport(from: node(3), epoch: 1, entries: [(node(2), 1)])
        try graph.receiveReport(from: node(4), epoch: 1, entries: [(local, 1)])
        graph.recompute()
        #expect(graph.globalTrust(of: local) == 1)
        for peer in [node(2), node(3), node(4)] {
            #expect(graph.globalTrust(of: peer) == 0)
            #expect(graph.trustScore(of: peer) == 0)
        }
        #expect(graph.ranking().isEmpty)
        #expect(graph.trustScore(of: local) == 1)
    }

    @Test func aRingOfFreshIdentitiesGainsNothing() throws {
        let random = RandomGraph(count: 60, perReport: 5, preTrustedCount: 3, seed: 11)
        var honest = try random.graph(local: local, settings: .default)
        honest.recompute()
        var attacked = try random.graph(local: local, settings: .default)
        let sybils = (0..<50).map { peer(90_000 + $0) }
        for (index, sybil) in sybils.enumerated() {
            // Each vouches highly for all the others, and for some honest nodes too (which helps nobody).
            var entries: Report = sybils.filter { $0 != sybil }.map { (node: $0, trust: 0.019) }
            entries.append((random.peers[index % 10], 0.05))
            if index == 0 { entries[0] = (sybil, 0.019) }  // one vouches for itself
            try attacked.receiveReport(from: sybil, epoch: 1, entries: entries)
        }
        let computation = attacked.recompute()
        #expect(computation.nodes == 1 + 60 + 50)
        for sybil in sybils {
            #expect(attacked.globalTrust(of: sybil) < 1e-12)
            #expect(attacked.trustScore(of: sybil) == 0)
        }
        #expect(!attacked.ranking().contains { sybils.contains($0.node) })
        for id in [local] + random.peers {
            #expect(attacked.globalTrust(of: id) == honest.globalTrust(of: id), "node \(id.short)")
        }
        // Incrementally too: a crowd joining a converged graph changes nothing.
        try honest.receiveReport(from: sybils[0], epoch: 1, entries: [(sybils[1], 1)])
        try honest.receiveReport(from: sybils[1], epoch: 1, entries: [(sybils[0], 1)])
        honest.recompute()
        #expect(honest.globalTrust(of: sybils[0]) == 0 && honest.globalTrust(of: sybils[1]) == 0)
    }

    @Test func aNodeATrustedPeerStopsVouchingForLosesItsTrust() throws {
        // Pre-trusted T vouches for X and Y; X and Z vouch for each other.
        let (t, x, y, z) = (node(2), node(3), node(4), node(5))
        var graph = TrustGraph(localNode: local, preTrusted: [t])
        try graph.receiveReport(from: t, epoch: 1, entries: [(x, 0.5), (y, 0.5)])
        try graph.receiveReport(from: x, epoch: 1, entries: [(z, 1)])
        try graph.receiveReport(from: z, epoch: 1, entries: [(x, 1)])
        graph.recompute()
        #expect(graph.globalTrust(of: x) > 0.05)
        #expect(graph.globalTrust(of: z) > 0.05)
        #expect(try graph.receiveReport(from: t, epoch: 2, entries: [(y, 1)]))
        graph.recompute()
        #expect(graph.globalTrust(of: x) == 0)
        #expect(graph.globalTrust(of: z) == 0)
        // Y keeps what T gives it: t_Y = (1−a)·t_T, and T (like L) is the most trusted other node.
        #expect(abs(graph.trustScore(of: y) - 0.85) < 1e-5)
    }

    // MARK: - Reports

    @Test func olderOrEqualEpochIsIgnored() throws {
        var graph = TrustGraph(localNode: local, preTrusted: [node(2)])
        #expect(try graph.receiveReport(from: node(2), epoch: 5, entries: [(node(3), 1)]))
        #expect(try !graph.receiveReport(from: node(2), epoch: 5, entries: [(node(4), 1)]))
        #expect(try !graph.receiveReport(from: node(2), epoch: 4, entries: [(node(4), 1)]))
        graph.recompute()
        #expect(graph.globalTrust(of: node(3)) > 0)
        #expect(graph.globalTrust(of: node(4)) == 0)
        #expect(try graph.receiveReport(from: node(2), epoch: 6, entries: [(node(4), 1)]))
        graph.recompute()
        #expect(graph.globalTrust(of: node(3)) == 0)
        #expect(graph.globalTrust(of: node(4)) > 0)
        #expect(graph.reporters == 1)
    }

    @Test(arguments: malformedReports.indices)
    func malformedReportsThrow(_ index: Int) {
        let (name, entries) = malformedReports[index]
        var graph = TrustGraph(localNode: local, preTrusted: [])
        let error = #expect(throws: GridError.self, "\(name)") {
            try graph.receiveReport(from: node(2), epoch: 1, entries: entries)
        }
        #expect(error?.code == .invalidTrustReport, "\(name)")
        #expect(error?.code.rawValue == "trust.invalid_report")
        #expect(error?.message.contains(node(2).short) == true, "the message names the reporter")
        #expect(graph.reporters == 0)
    }

    @Test func aReportAtTheLimitsIsAccepted() throws {
        var graph = TrustGraph(localNode: local, preTrusted: [])
        let full: Report = (0..<1000).map { (node: peer($0), trust: 0.001) }
        #expect(try graph.receiveReport(from: node(2), epoch: 1, entries: full))
        #expect(try graph.receiveReport(from: node(3), epoch: 1, entries: [(node(4), 0.5), (node(5), 0.5 + 1e-10)]))
        #expect(try graph.receiveReport(from: node(6), epoch: 1, entries: []))
        #expect(graph.reporters == 3)
    }

    @Test func smallerReportLimitFromSettings() {
        var graph = TrustGraph(localNode: local, preTrusted: [], settings: .init(maxReportEntries: 2))
        let error = #expect(throws: GridError.self) {
            try graph.receiveReport(from: node(2), epoch: 1, entries: [(node(3), 0.1), (node(4), 0.1), (node(5), 0.1)])
        }
        #expect(error?.code == .invalidTrustReport)
        #expect(error?.message.contains("more than the 2 allowed") == true)
    }

    @Test func selfEntriesAreDroppedAndTheRestRenormalised() throws {
        var withSelf = TrustGraph(localNode: local, preTrusted: [node(2)], settings: exact)
        try withSelf.receiveReport(from: node(2), epoch: 1, entries: [(node(2), 0.5), (node(3), 0.1), (node(4), 0.3)])
        var plain = TrustGraph(localNode: local, preTrusted: [node(2)], settings: exact)
        try plain.receiveReport(from: node(2), epoch: 1, entries: [(node(3), 0.25), (node(4), 0.75)])
        withSelf.recompute()
        plain.recompute()
        for id in [local, node(2), node(3), node(4)] {
            #expect(abs(withSelf.globalTrust(of: id) - plain.globalTrust(of: id)) < 1e-14)
        }
    }

    @Test func aReportOfZerosDefersToThePreTrusted() throws {
        // Node 3 reports all zeros: its row is p = {L, 2}, as if it had never reported.
        var zeros = TrustGraph(localNode: local, preTrusted: [node(2)], settings: exact)
        zeros.setLocalTrust([node(3): 1])
        try zeros.receiveReport(from: node(3), epoch: 1, entries: [(node(4), 0), (node(5), 0)])
        var silent = TrustGraph(localNode: local, preTrusted: [node(2)], settings: exact)
        silent.setLocalTrust([node(3): 1])
        zeros.recompute()
        silent.recompute()
        #expect(zeros.globalTrust(of: node(4)) == 0)
        for id in [local, node(2), node(3)] {
            #expect(abs(zeros.globalTrust(of: id) - silent.globalTrust(of: id)) < 1e-14)
        }
        // Nodes 2 and 3 have no experience: their trust goes back to p, half each to L and 2, and
        // nobody names L or 2, so t_L = t_2 and t_3 = (1−a)·t_L; the sum is 1 ⇒ t_L = 1/2.85.
        #expect(abs(zeros.globalTrust(of: local) - 1 / 2.85) < 1e-12)
        #expect(abs(zeros.globalTrust(of: node(2)) - 1 / 2.85) < 1e-12)
        #expect(abs(zeros.globalTrust(of: node(3)) - 0.85 / 2.85) < 1e-12)
    }

    @Test func aReportClaimingToBeFromThisNodeIsIgnored() throws {
        var graph = TrustGraph(localNode: local, preTrusted: [])
        #expect(try !graph.receiveReport(from: local, epoch: 1, entries: [(node(2), 1)]))
        #expect(graph.reporters == 0)
        graph.recompute()
        #expect(graph.globalTrust(of: node(2)) == 0)
    }

    @Test func removeReportForgetsTheRowAndTheEpoch() throws {
        var graph = TrustGraph(localNode: local, preTrusted: [node(2)])
        try graph.receiveReport(from: node(2), epoch: 9, entries: [(node(3), 1)])
        graph.removeReport(from: node(2))
        graph.removeReport(from: node(7))
        #expect(graph.reporters == 0)
        graph.recompute()
        #expect(graph.globalTrust(of: node(3)) == 0)
        #expect(try graph.receiveReport(from: node(2), epoch: 1, entries: [(node(3), 1)]))
        graph.recompute()
        #expect(graph.globalTrust(of: node(3)) > 0)
    }

    @Test func forgottenNodesAreDroppedWithoutChangingTheResult() throws {
        // 200 reporters vouched for by nobody come and go; the table is compacted on recompute.
        let random = RandomGraph(count: 50, perReport: 5, preTrustedCount: 2, seed: 3)
        var graph = try random.graph(local: local, settings: exact)
        let transient = (0..<200).map { peer(50_000 + $0) }
        for id in transient { try graph.receiveReport(from: id, epoch: 1, entries: [(peer(60_000), 1)]) }
        #expect(graph.recompute().nodes == 1 + 50 + 200 + 1)
        for id in transient { graph.removeReport(from: id) }
        try graph.receiveReport(from: random.peers[0], epoch: 2, entries: [(random.peers[1], 1)])
        #expect(graph.recompute().nodes == 1 + 50)
        var fresh = try random.graph(local: local, settings: exact)
        try fresh.receiveReport(from: random.peers[0], epoch: 2, entries: [(random.peers[1], 1)])
        fresh.recompute()
        for id in [local] + random.peers {
            #expect(abs(graph.globalTrust(of: id) - fresh.globalTrust(of: id)) < 1e-11)
        }
        #expect(graph.globalTrust(of: peer(60_000)) == 0)
        // A forgotten node that comes back is a node again.
        try graph.receiveReport(from: random.peers[0], epoch: 3, entries: [(transient[0], 1)])
        graph.recompute()
        #expect(graph.globalTrust(of: transient[0]) > 0)
    }

    @Test func reportsReplacedManyTimesGiveTheSameResultAsTheLastOnesAlone() throws {
        // Rows grow and shrink in place, move, and the pool is repacked; none of it may change a row.
        var rng = SeededRandomNumberGenerator(seed: 21)
        let peers = (0..<80).map { peer(2000 + $0) }
        var graph = TrustGraph(localNode: local, preTrusted: Set(peers.prefix(3)), settings: exact)
        var last: [NodeID: Report] = [:]
        for epoch in 1...30 {
            // Rows double six times (each move abandons the old slot), then take random sizes.
            for reporter in peers.shuffled(using: &rng).prefix(epoch <= 6 ? 80 : 40) {
                let size = epoch <= 6 ? 1 << (epoch - 1) : Int.random(in: 0...40, using: &rng)
                let targets = peers.filter { $0 != reporter }.shuffled(using: &rng).prefix(size)
                let entries: Report = targets.map { (node: $0, trust: 1 / Double(max(size, 1)) * 0.999) }
                try graph.receiveReport(from: reporter, epoch: UInt64(epoch), entries: entries)
                last[reporter] = entries
            }
        }
        let computation = graph.recompute()
        #expect(computation.edges == last.values.reduce(0) { $0 + $1.count })
        var fresh = TrustGraph(localNode: local, preTrusted: Set(peers.prefix(3)), settings: exact)
        for (reporter, entries) in last.sorted(by: { $0.key < $1.key }) {
            try fresh.receiveReport(from: reporter, epoch: 1, entries: entries)
        }
        fresh.recompute()
        for id in [local] + peers {
            #expect(abs(graph.globalTrust(of: id) - fresh.globalTrust(of: id)) < 1e-11, "node \(id.short)")
        }
    }

    // MARK: - Local trust

    @Test func localTrustDropsInvalidScoresAndNormalises() {
        var graph = TrustGraph(localNode: local, preTrusted: [])
        graph.setLocalTrust([
            node(2): 3, node(3): 1, node(4): 0, node(5): -2, node(6): .nan, node(7): .infinity, local: 10,
        ])
        let vector = graph.localTrustVector()
        #expect(vector.map(\.node) == [node(2), node(3)])
        #expect(abs(vector[0].trust - 0.75) < 1e-15 && abs(vector[1].trust - 0.25) < 1e-15)
        graph.setLocalTrust([node(2): .greatestFiniteMagnitude, node(3): .greatestFiniteMagnitude])
        #expect(graph.localTrustVector().map(\.trust) == [0.5, 0.5])
        graph.setLocalTrust([:])
        #expect(graph.localTrustVector().isEmpty)
    }

    @Test func localTrustVectorIsLargestFirstAndCapped() {
        var graph = TrustGraph(localNode: local, preTrusted: [], settings: .init(maxReportEntries: 3))
        graph.setLocalTrust([node(2): 1, node(3): 4, node(4): 2, node(5): 2, node(6): 1])
        let vector = graph.localTrustVector()
        #expect(vector.map(\.node) == [node(3), node(4), node(5)])
        #expect(zip(vector.map(\.trust), [0.4, 0.2, 0.2]).allSatisfy { abs($0 - $1) < 1e-15 })
    }

    // MARK: - Scores

    @Test func trustScoreScale() throws {
        var graph = TrustGraph(localNode: local, preTrusted: [node(2)])
        graph.setLocalTrust([node(3): 1])
        try graph.receiveReport(from: node(2), epoch: 1, entries: [(node(3), 0.5), (node(4), 0.5)])
        graph.recompute()
        let ranking = graph.ranking()
        #expect(ranking.first?.node == node(3))
        #expect(graph.trustScore(of: node(3)) == 1)
        #expect(graph.trustScore(of: local) == 1)
        let four = graph.trustScore(of: node(4))
        #expect(four > 0 && four < 1)
        #expect(abs(four - graph.globalTrust(of: node(4)) / graph.globalTrust(of: node(3))) < 1e-15)
        #expect(graph.trustScore(of: node(99)) == 0)
        #expect(ranking.map(\.node) == ranking.sorted { $0.trust > $1.trust }.map(\.node))
        #expect(!ranking.contains { $0.node == local })
    }

    // MARK: - Iteration

    @Test func incrementalRecomputeMatchesFromScratchInFewerSteps() throws {
        let settings = TrustGraph.Settings(tolerance: 1e-10, maxIterations: 500)
        let random = RandomGraph(count: 300, perReport: 10, preTrustedCount: 5, seed: 42)
        var graph = try random.graph(local: local, settings: settings)
        let scratch = graph.recompute()
        #expect(scratch.converged)
        let changed: Report = [(random.peers[200], 0.7), (random.peers[201], 0.3)]
        try graph.receiveReport(from: random.peers[17], epoch: 2, entries: changed)
        let incremental = graph.recompute()
        #expect(incremental.converged)
        #expect(incremental.iterations < scratch.iterations)
        var fresh = try random.graph(local: local, settings: settings)
        try fresh.receiveReport(from: random.peers[17], epoch: 2, entries: changed)
        let again = fresh.recompute()
        #expect(again.iterations > incremental.iterations)
        for id in [local] + random.peers {
            #expect(abs(graph.globalTrust(of: id) - fresh.globalTrust(of: id)) < 1e-9)
        }
        // And recomputeFromScratch on the same graph starts from p again.
        #expect(graph.recomputeFromScratch().iterations == again.iterations)
    }

    @Test func theIterationCapIsRespected() throws {
        let random = RandomGraph(count: 100, perReport: 5, preTrustedCount: 2, seed: 5)
        var graph = try random.graph(local: local, settings: .init(tolerance: 0, maxIterations: 3))
        let computation = graph.recompute()
        #expect(computation.iterations == 3)
        #expect(!computation.converged)
        #expect(computation.finalDelta > 0)
        #expect(graph.lastComputation == computation)
        graph.settings.maxIterations = 0
        let none = graph.recompute()
        #expect(none.iterations == 0 && !none.converged && none.finalDelta == .infinity)
    }

    @Test func aSlowGraphStopsAtTheCapAndTheNextRecomputeCarriesOn() throws {
        // The two-node cycle mixes slowly (its error shrinks by 0.85 a step): 50 steps from p leave
        // it short of 1e-6; the next recompute starts where the last stopped and gets there.
        var graph = TrustGraph(localNode: local, preTrusted: [])
        graph.setLocalTrust([node(2): 1])
        try graph.receiveReport(from: node(2), epoch: 1, entries: [(local, 1)])
        let first = graph.recompute()
        #expect(first.iterations == 50 && !first.converged)
        let second = graph.recompute()
        #expect(second.converged && second.iterations < 50)
        #expect(abs(graph.globalTrust(of: local) - 1 / 1.85) < 1e-5)
    }

    @Test func resultsAreDeterministic() throws {
        let random = RandomGraph(count: 200, perReport: 8, preTrustedCount: 4, seed: 9)
        var first = try random.graph(local: local, settings: .default)
        var second = try random.graph(local: local, settings: .default)
        #expect(first.recompute() == second.recompute())
        #expect(first.ranking().map(\.node) == second.ranking().map(\.node))
        #expect(first.ranking().map(\.trust) == second.ranking().map(\.trust))
    }
}
