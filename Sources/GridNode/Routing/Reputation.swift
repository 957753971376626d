import Foundation
import GridCore
import GridWire

/// What this node has learnt of other nodes' work: its ``Experience`` of each (node, skill), the
/// peers' TrustReports, and the EigenTrust ``TrustGraph`` that turns both into trust scores. The
/// coordinator records outcomes here; the router and `gridnode peers` read it.
actor Reputation {
    let localNode: NodeID
    private(set) var experience: Experience
    private var graph: TrustGraph
    /// Trust scores (0...1) as of the last recompute, for every node with any.
    private var scores: [NodeID: Double] = [:]
    private var lastEpoch: UInt64 = 0
    private(set) var lastComputation: TrustGraph.Computation?

    /// - Parameters:
    ///   - restoring: the experience saved before the last stop, if any, with the wall-clock time now.
    ///   - convictions: wrong results proven by stored evidence (node, wall-clock ms): a liar stays
    ///     convicted across restarts even when the last save missed it (a kill -9).
    init(
        localNode: NodeID, preTrusted: Set<NodeID>, experience: Experience.Settings = .default, trust: TrustGraph.Settings = .default,
        restoring saved: Experience.Snapshot? = nil, convictions: [(node: NodeID, atMs: Int64)] = [], nowMs: Int64 = 0
    ) {
        self.localNode = localNode
        let now = ContinuousClock.now
        var restored = saved.map { Experience(settings: experience, restoring: $0, now: now, nowMs: nowMs) } ?? Experience(settings: experience)
        for conviction in convictions {
            restored.restoreConviction(of: conviction.node, atMs: conviction.atMs, now: now, nowMs: nowMs)
        }
        self.experience = restored
        graph = TrustGraph(localNode: localNode, preTrusted: preTrusted, settings: trust)
        graph.setLocalTrust(restored.localTrust(now: now))
        for (node, _) in restored.convictions where restored.isConvicted(node, now: now) {
            graph.removeReport(from: node)
        }
        lastComputation = graph.recompute()
        scores = Self.scores(of: graph)
    }

    /// The experience as of now, to save.
    func snapshot(nowMs: Int64) -> Experience.Snapshot {
        experience.snapshot(now: .now, nowMs: nowMs)
    }

    func record(_ outcome: ExperienceOutcome, node: NodeID, skill: SkillID, latency: Duration?) {
        experience.record(outcome, node: node, skill: skill, latency: latency, now: .now)
        if outcome == .wrongResult {
            graph.removeReport(from: node)  // a convicted node's word counts for nothing
        }
    }

    func recordVerified(node: NodeID, skill: SkillID, anchored: Bool) {
        experience.recordVerified(node: node, skill: skill, anchored: anchored, now: .now)
    }

    /// Each node's confirmed results for `skill`, and how many of them anchored votes confirmed.
    func confirmations(of nodes: [NodeID], skill: SkillID) -> [NodeID: StandingLedger.Confirmations] {
        Dictionary(
            nodes.map {
                ($0, StandingLedger.Confirmations(
                    verified: experience.verifiedCount(node: $0, skill: skill), anchored: experience.anchoredCount(node: $0, skill: skill)))
            }, uniquingKeysWith: { first, _ in first })
    }

    /// What gives `nodes` standing here for `skill`, in one call: their confirmations, and the
    /// pinned (pre-trusted) peers.
    func standing(of nodes: [NodeID], skill: SkillID) -> (confirmations: [NodeID: StandingLedger.Confirmations], pinned: Set<NodeID>) {
        (confirmations(of: nodes, skill: skill), preTrusted)
    }

    func summary(of node: NodeID) -> Experience.Summary {
        experience.summary(of: node)
    }

    /// Trust scores (0...1) of every node with any trust.
    func trustScores() -> [NodeID: Double] {
        scores
    }

    func trustScore(of node: NodeID) -> Double {
        node == localNode ? 1 : scores[node] ?? 0
    }

    var preTrusted: Set<NodeID> { graph.preTrusted }

    /// Adds `nodes` to the pre-trusted set (a bootstrap key the operator pins at run time).
    func preTrust(_ nodes: Set<NodeID>) {
        graph.setPreTrusted(graph.preTrusted.union(nodes))
    }

    /// A peer's TrustReport, signed by `author`. Throws when it breaks the rules (the dispatcher
    /// drops it as malformed); an old epoch, or a report by a convicted node, is ignored.
    func receiveReport(_ report: Grid_V1_TrustReport, from author: NodeID) throws(GridError) {
        guard !experience.isConvicted(author, now: .now) else { return }
        var entries: [(node: NodeID, trust: Double)] = []
        entries.reserveCapacity(report.entries.count)
        for entry in report.entries {
            guard let node = try? NodeID(bytes: Array(entry.nodeID)) else {
                throw GridError(.invalidTrustReport, "a TrustReport entry names a \(entry.nodeID.count)-byte node ID; node IDs are 32 bytes")
            }
            entries.append((node, Double(entry.trustPpm) / 1_000_000))
        }
        try graph.receiveReport(from: author, epoch: report.epoch, entries: entries)
    }

    /// Takes this node's experience as its local trust, recomputes global trust, and returns this
    /// node's TrustReport to send: its normalised local trust in millionths (rounded down, so they
    /// sum to at most 1000000) under a new epoch.
    func recompute(nowMs: UInt64) -> (computation: TrustGraph.Computation, report: Grid_V1_TrustReport) {
        graph.setLocalTrust(experience.localTrust(now: .now))
        let computation = graph.recompute()
        lastComputation = computation
        scores = Self.scores(of: graph)
        lastEpoch = max(lastEpoch + 1, nowMs)
        var report = Grid_V1_TrustReport()
        report.epoch = lastEpoch
        report.entries = graph.localTrustVector().compactMap { node, trust in
            let ppm = UInt32((trust * 1_000_000).rounded(.down))
            guard ppm > 0 else { return nil }
            return .with {
                $0.nodeID = Data(node.bytes)
                $0.trustPpm = ppm
            }
        }
        return (computation, report)
    }

    private static func scores(of graph: TrustGraph) -> [NodeID: Double] {
        Dictionary(uniqueKeysWithValues: graph.ranking().map { ($0.node, graph.trustScore(of: $0.node)) })
    }
}
