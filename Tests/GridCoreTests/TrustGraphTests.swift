import GridCore
import Testing

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
        let random = RandomTrustGraph(count: 400, perReport: 12, preTrustedCount: 6, seed: 7)
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
        let random = RandomTrustGraph(count: 60, perReport: 5, preTrustedCount: 3, seed: 11)
        var honest = try random.graph(local: local, settings: .default)
        honest.recompute()
        var attacked = try random.graph(local: local, settings: .default)
        let sybils = (0..<50).map { numberedNode(90_000 + $0) }
        for (index, sybil) in sybils.enumerated() {
            // Each vouches highly for all the others, and for some honest nodes too (which helps nobody).
            var entries: TrustEntries = sybils.filter { $0 != sybil }.map { (node: $0, trust: 0.019) }
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
        let random = RandomTrustGraph(count: 300, perReport: 10, preTrustedCount: 5, seed: 42)
        var graph = try random.graph(local: local, settings: settings)
        let scratch = graph.recompute()
        #expect(scratch.converged)
        let changed: TrustEntries = [(random.peers[200], 0.7), (random.peers[201], 0.3)]
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
        let random = RandomTrustGraph(count: 100, perReport: 5, preTrustedCount: 2, seed: 5)
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
        let random = RandomTrustGraph(count: 200, perReport: 8, preTrustedCount: 4, seed: 9)
        var first = try random.graph(local: local, settings: .default)
        var second = try random.graph(local: local, settings: .default)
        #expect(first.recompute() == second.recompute())
        #expect(first.ranking().map(\.node) == second.ranking().map(\.node))
        #expect(first.ranking().map(\.trust) == second.ranking().map(\.trust))
    }
}
