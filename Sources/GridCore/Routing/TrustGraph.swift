/// Global trust in the grid's nodes, EigenTrust-style, computed from this node's point of view.
///
/// **Inputs.** This node's own local trust (``setLocalTrust(_:)``: raw scores from its experience
/// of each peer), the latest ``receiveReport(from:epoch:entries:)`` of each peer (that peer's
/// normalised local trust, as its TrustReport carries it) and the pre-trusted set
/// (``setPreTrusted(_:)``: bootstrap or operator-pinned nodes).
///
/// **Model.** The nodes are this node, every pre-trusted node, every reporter and every node named
/// in any row. The pre-trust distribution `p` is uniform over {this node} ∪ pre-trusted. Each node
/// `i` has a row `cᵢ` summing to 1: this node's is its normalised local trust, a reporter's is its
/// latest report renormalised, and a node with no row or an empty one (no experience) gets `p` —
/// it defers to the pre-trusted. ``recompute()`` runs the power iteration
///
///     t₀ = p,   tₖ₊₁ = (1 − a)·Cᵀ·tₖ + a·p
///
/// with `a` = ``Settings/preTrustWeight``, until `‖tₖ₊₁ − tₖ‖₁ <` ``Settings/tolerance`` or
/// ``Settings/maxIterations`` steps. Each step keeps the total mass at 1 (renormalised against
/// rounding), so ``globalTrust(of:)`` is a distribution over the nodes.
///
/// **Sybil crowds get nothing.** Trust flows only along rows, from nodes that have it, and the
/// `a·p` term and empty rows feed only `p`'s nodes. A crowd of identities that no node outside it
/// names — however many, however they vouch for one another — is never reached from `p`, so its
/// global trust is exactly 0. When a recompute starts from the previous result, nodes no longer
/// reachable from `p` are zeroed first, so trust withdrawn from a crowd does not linger there.
///
/// **Cost.** Rows are sparse: arrays of (index, weight) over a dense index per node
/// (`TrustNodeTable`), all in one pool (`TrustMatrix`), so a step costs O(edges + nodes)
/// and replacing a report costs its length. Results are deterministic: the same sequence of calls gives
/// bit-identical results (no iteration over hashed collections decides an order). Pure value
/// type: no clock, no I/O, no randomness.
public struct TrustGraph: Sendable {
    /// How global trust is computed.
    public struct Settings: Sendable, Equatable {
        /// Weight of the pre-trusted distribution in each step (EigenTrust's a), in 0...1 (clamped).
        /// Higher converges faster and leans more on the pre-trusted. Default 0.15.
        public var preTrustWeight: Double
        /// Stop when the L1 change between two steps is below this. Default 1e-6.
        public var tolerance: Double
        /// Stop after this many steps whatever the change (0 keeps the starting vector). Default 50.
        public var maxIterations: Int
        /// Most entries kept from one node's report (matches TrustReport's limit). Default 1000.
        public var maxReportEntries: Int

        public static let `default` = Settings()

        public init(preTrustWeight: Double = 0.15, tolerance: Double = 1e-6, maxIterations: Int = 50, maxReportEntries: Int = 1000) {
            self.preTrustWeight = preTrustWeight
            self.tolerance = tolerance
            self.maxIterations = maxIterations
            self.maxReportEntries = maxReportEntries
        }
    }

    /// What one ``recompute()`` did.
    public struct Computation: Sendable, Equatable {
        /// Steps taken.
        public var iterations: Int
        /// Whether the last step changed the vector by less than the tolerance.
        public var converged: Bool
        /// L1 change of the last step (infinity when no step was taken).
        public var finalDelta: Double
        /// Nodes in the graph.
        public var nodes: Int
        /// Non-zero entries over all rows.
        public var edges: Int

        public init(iterations: Int, converged: Bool, finalDelta: Double, nodes: Int, edges: Int) {
            self.iterations = iterations
            self.converged = converged
            self.finalDelta = finalDelta
            self.nodes = nodes
            self.edges = edges
        }
    }

    /// This node: always index 0, always in `p`.
    public let localNode: NodeID
    public var settings: Settings
    /// The pre-trusted nodes (this node is always in `p` besides them, and never listed here).
    public private(set) var preTrusted: Set<NodeID> = []
    /// What the last ``recompute()`` did, nil before the first.
    public internal(set) var lastComputation: Computation?

    var table = TrustNodeTable()
    /// Each node's row by index; an empty one means no experience (the row is `p`). Row 0 is
    /// this node's local trust.
    var matrix = TrustMatrix()
    /// The epoch of each reporter's stored report.
    var epochs: [NodeID: UInt64] = [:]
    /// Global trust by index from the last recompute; shorter than the table when nodes came
    /// after it (they have 0).
    var trust: [Double] = []
    /// The largest global trust of any node but this one, from the last recompute.
    var maxOtherTrust = 0.0

    public init(localNode: NodeID, preTrusted: Set<NodeID>, settings: Settings = .default) {
        self.localNode = localNode
        self.settings = settings
        _ = retain(localNode)
        setPreTrusted(preTrusted)
    }

    /// Replaces the pre-trusted set. Naming this node changes nothing (it is always in `p`).
    public mutating func setPreTrusted(_ nodes: Set<NodeID>) {
        let new = nodes.subtracting([localNode])
        // Sorted, so that new nodes get their indices in the same order in every process.
        for node in new.subtracting(preTrusted).sorted() { _ = retain(node) }
        for node in preTrusted.subtracting(new).sorted() { table.release(table.index(of: node)!) }
        preTrusted = new
    }

    /// Sets this node's own local trust from raw non-negative scores per peer (for example weighted
    /// successes minus failures, clipped at zero, computed elsewhere); they are normalised to sum
    /// to 1. Zero, negative, NaN and infinite scores and this node itself are dropped; with none
    /// left, this node has no experience and its row is `p`.
    public mutating func setLocalTrust(_ scores: [NodeID: Double]) {
        let kept = scores.filter { node, score in node != localNode && score > 0 && score.isFinite }
            .sorted { $0.key < $1.key }
        // Divide by the largest first so that the sum cannot overflow.
        let largest = kept.lazy.map(\.value).max() ?? 0
        let total = kept.reduce(0.0) { $0 + $1.value / largest }
        let row = kept.map { node, score in TrustEdge(target: retain(node), weight: score / largest / total) }
        replaceRow(0, with: row)
    }

    /// This node's normalised local trust, largest first (ties by node ID), at most
    /// ``Settings/maxReportEntries`` entries: what it puts in its own TrustReport. The values sum
    /// to at most 1 (less when entries were cut).
    public func localTrustVector() -> [(node: NodeID, trust: Double)] {
        let entries = matrix.entries(ofRow: 0).map { (node: table.ids[$0.target], trust: $0.weight) }
            .sorted { $0.trust != $1.trust ? $0.trust > $1.trust : $0.node < $1.node }
        return Array(entries.prefix(max(0, settings.maxReportEntries)))
    }

    /// Global trust of `node` from the last recompute: 0...1, all nodes summing to 1. A node not
    /// in the graph, or added since, has 0.
    public func globalTrust(of node: NodeID) -> Double {
        guard let index = table.index(of: node), index < trust.count else { return 0 }
        return trust[index]
    }

    /// Trust on the 0...1 scale tasks and admission use (`min_trust_ppm` is this × 1e6): global
    /// trust divided by the largest global trust of any node other than this one, clipped to 1.
    /// This node itself is 1. When no other node has any trust, every other node is 0.
    public func trustScore(of node: NodeID) -> Double {
        if node == localNode { return 1 }
        guard maxOtherTrust > 0 else { return 0 }
        return min(1, globalTrust(of: node) / maxOtherTrust)
    }

    /// All nodes with a non-zero global trust, this node excluded, highest first (ties by node ID).
    public func ranking() -> [(node: NodeID, trust: Double)] {
        trust.indices.dropFirst().filter { trust[$0] > 0 }
            .map { (node: table.ids[$0], trust: trust[$0]) }
            .sorted { $0.trust != $1.trust ? $0.trust > $1.trust : $0.node < $1.node }
    }

    // MARK: - Bookkeeping shared by the inputs

    /// One more reference to `node`, with an empty row when it is new.
    mutating func retain(_ node: NodeID) -> Int {
        let index = table.retain(node)
        if index == matrix.nodeCount { matrix.appendNode() }
        return index
    }

    /// Replaces the row at `index`, moving the references from the old targets to the new ones
    /// (the new ones must already be retained).
    mutating func replaceRow(_ index: Int, with row: [TrustEdge]) {
        for target in matrix.targets(ofRow: index) { table.release(Int(target)) }
        matrix.replaceRow(index, with: row)
    }
}

/// One entry of a row: trust in the node at `target`.
struct TrustEdge: Sendable {
    var target: Int
    var weight: Double
}
