import GridCore
import GridTestKit
import Testing

/// Reports no node may accept, one per rule.
private let malformedReports: [(name: String, entries: [(node: NodeID, trust: Double)])] = [
    ("too many entries", (0..<1001).map { (node: numberedNode($0), trust: 0.0005) }),
    ("duplicate node", [(node(3), 0.2), (node(4), 0.2), (node(3), 0.1)]),
    ("sum above 1", [(node(3), 0.6), (node(4), 0.4 + 1e-6)]),
    ("negative", [(node(3), 0.5), (node(4), -0.1)]),
    ("above 1", [(node(3), 1.5)]),
    ("NaN", [(node(3), .nan)]),
]

extension TrustGraphTests {
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
        let full: TrustEntries = (0..<1000).map { (node: numberedNode($0), trust: 0.001) }
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
        let random = RandomTrustGraph(count: 50, perReport: 5, preTrustedCount: 2, seed: 3)
        var graph = try random.graph(local: local, settings: exact)
        let transient = (0..<200).map { numberedNode(50_000 + $0) }
        for id in transient { try graph.receiveReport(from: id, epoch: 1, entries: [(numberedNode(60_000), 1)]) }
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
        #expect(graph.globalTrust(of: numberedNode(60_000)) == 0)
        // A forgotten node that comes back is a node again.
        try graph.receiveReport(from: random.peers[0], epoch: 3, entries: [(transient[0], 1)])
        graph.recompute()
        #expect(graph.globalTrust(of: transient[0]) > 0)
    }

    @Test func reportsReplacedManyTimesGiveTheSameResultAsTheLastOnesAlone() throws {
        // Rows grow and shrink in place, move, and the pool is repacked; none of it may change a row.
        var rng = SeededRandomNumberGenerator(seed: 21)
        let peers = (0..<80).map { numberedNode(2000 + $0) }
        var graph = TrustGraph(localNode: local, preTrusted: Set(peers.prefix(3)), settings: exact)
        var last: [NodeID: TrustEntries] = [:]
        for epoch in 1...30 {
            // Rows double six times (each move abandons the old slot), then take random sizes.
            for reporter in peers.shuffled(using: &rng).prefix(epoch <= 6 ? 80 : 40) {
                let size = epoch <= 6 ? 1 << (epoch - 1) : Int.random(in: 0...40, using: &rng)
                let targets = peers.filter { $0 != reporter }.shuffled(using: &rng).prefix(size)
                let entries: TrustEntries = targets.map { (node: $0, trust: 1 / Double(max(size, 1)) * 0.999) }
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
}
