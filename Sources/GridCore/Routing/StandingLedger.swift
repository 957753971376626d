/// What a requester's coordinator knows of its providers' standing, and which of them are held
/// back from a skill's ordinary work meanwhile (docs/ROUTING.md, section 5). The reputation has the
/// truth (confirmed results, pinned peers); this ledger keeps what it last learnt from it, so that
/// each result can be weighed without a hop to the reputation, and decides with the
/// ``VerificationPolicy``:
///
/// - whether a node **anchors** a vote (``isAnchor(_:skill:)``): this node, a pinned peer, or a
///   provider with standing (at least `probation` results confirmed here by anchored votes);
/// - whether a provider **may be on probation** (``mayBeOnProbation(_:)``): fewer than `probation`
///   results confirmed here by any agreement; its next result is then weighed (and held) before
///   it gets more of the skill's work;
/// - which providers are **held** (``held(skill:)``): a provider with a check of it being weighed,
///   or a conviction of it being recorded, gets none of that skill's ordinary placements until
///   every hold on it is released (checks and tie-breakers may still go to it).
///
/// Bounds: at most ``capacity`` confirmed counts are kept (all are forgotten when it is reached,
/// and learnt again); holds are as many as the tasks in flight.
public struct StandingLedger: Sendable, Equatable {
    /// Most (provider, skill) counts kept. 100,000.
    public static let capacity = 100_000

    /// A provider's confirmed results for a skill: by any agreement, and by anchored ones.
    public struct Confirmations: Sendable, Equatable {
        public var verified: Int
        public var anchored: Int

        public init(verified: Int = 0, anchored: Int = 0) {
            self.verified = max(verified, 0)
            self.anchored = min(max(anchored, 0), self.verified)
        }
    }

    public let localNode: NodeID
    public let policy: VerificationPolicy
    private var known: [Experience.Key: Confirmations] = [:]
    private var pinned: Set<NodeID> = []
    private var holds: [Experience.Key: Int] = [:]

    public init(localNode: NodeID, policy: VerificationPolicy) {
        self.localNode = localNode
        self.policy = policy
    }

    /// The reputation says what `key`'s provider has confirmed.
    public mutating func learn(_ key: Experience.Key, _ confirmations: Confirmations) {
        if known.count >= Self.capacity, known[key] == nil { known.removeAll() }
        known[key] = confirmations
    }

    /// The reputation's pinned (pre-trusted) peers.
    public mutating func learnPinned(_ nodes: Set<NodeID>) {
        pinned = nodes
    }

    /// A vote confirmed one more of `key`'s results; `anchored` when the agreement was.
    public mutating func confirmed(_ key: Experience.Key, anchored: Bool) {
        let now = confirmations(key)
        learn(key, Confirmations(verified: now.verified + 1, anchored: now.anchored + (anchored ? 1 : 0)))
    }

    /// `key`'s provider's confirmed results, as last learnt (none when unknown).
    public func confirmations(_ key: Experience.Key) -> Confirmations {
        known[key] ?? Confirmations()
    }

    public func isPinned(_ node: NodeID) -> Bool {
        pinned.contains(node)
    }

    /// Whether `node`'s agreement anchors a vote on `skill` here.
    public func isAnchor(_ node: NodeID, skill: SkillID) -> Bool {
        node == localNode
            || policy.hasStanding(anchored: confirmations(Experience.Key(node: node, skill: skill)).anchored, pinned: pinned.contains(node))
    }

    /// Whether `key`'s provider may still be on probation (as far as this ledger knows): its
    /// result is held back from more work until it is weighed.
    public func mayBeOnProbation(_ key: Experience.Key) -> Bool {
        key.node != localNode && confirmations(key).verified < policy.probation
    }

    /// Where one more run of a vote (a check or a tie-breaker) goes, from a route of the skill.
    public struct ExtraRunPlan: Sendable, Equatable {
        /// The nodes to try, best first (``VerificationPolicy/verifierOrder(ranked:verified:trusted:anchors:)``
        /// over the anchored counts): this node first when it serves the skill, even with its
        /// slots full (its run waits in its own queue), then anchors.
        public var candidates: [NodeID]
        /// Whether an anchor with room is among them (the vote's ``ResultVote/seeksAnchor``).
        public var seeksAnchor: Bool
        /// Whether any anchor serves the skill, free or busy (``ResultVote/anchorsExist``).
        public var anchorsExist: Bool
        /// Whether nodes that have not run the task serve the skill but have no room now.
        public var providersBusy: Bool
    }

    /// The plan for one more run of a task on `skill`, given its `route` and the nodes its runs
    /// used. Uses what this ledger knows (learn the candidates' confirmations first).
    public func extraRunPlan(route: Route, used: Set<NodeID>, skill: SkillID) -> ExtraRunPlan {
        var fresh = route.nodes.filter { !used.contains($0) }
        if !used.contains(localNode), !fresh.contains(localNode),
            route.excluded.contains(where: { $0.isLocal && $0.reason == .atCapacity })
        {
            fresh.insert(localNode, at: 0)
        }
        let anchors = Set(fresh.filter { isAnchor($0, skill: skill) })
        var anchored: [NodeID: Int] = [:]
        for node in fresh { anchored[node] = confirmations(Experience.Key(node: node, skill: skill)).anchored }
        let waiting = route.excluded.filter { !used.contains($0.node) && $0.reason.isTransient }
        return ExtraRunPlan(
            candidates: policy.verifierOrder(ranked: fresh, verified: anchored, trusted: localNode, anchors: anchors),
            seeksAnchor: !anchors.isEmpty,
            anchorsExist: !anchors.isEmpty || waiting.contains { isAnchor($0.node, skill: skill) },
            providersBusy: !waiting.isEmpty)
    }

    /// Holds `key`'s provider out of that skill's ordinary placements, once more.
    public mutating func hold(_ key: Experience.Key) {
        holds[key, default: 0] += 1
    }

    /// Releases one hold on `key`'s provider; true when none is left.
    @discardableResult
    public mutating func release(_ key: Experience.Key) -> Bool {
        guard let count = holds[key] else { return true }
        if count <= 1 {
            holds[key] = nil
            return true
        }
        holds[key] = count - 1
        return false
    }

    /// The providers held out of `skill`'s ordinary placements.
    public func held(skill: SkillID) -> Set<NodeID> {
        Set(holds.keys.lazy.filter { $0.skill == skill }.map(\.node))
    }
}
