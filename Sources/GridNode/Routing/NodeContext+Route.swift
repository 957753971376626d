import GridCore

/// What the coordinator knows of each peer's flow: open circuits, tasks in flight, full windows.
struct FlowState: Sendable {
    var circuitOpen: Set<NodeID> = []
    var inFlight: [NodeID: Int] = [:]
    var windowFull: Set<NodeID> = []
    /// Providers on probation whose result for the skill is being checked.
    var awaitingVerification: Set<NodeID> = []
}

extension NodeContext {
    /// Ranks the nodes for a task of `skill`, this node included, with everything the router
    /// needs gathered from the peer layer, the executor, the reputation and the coordinator's flow.
    func route(
        _ skill: SkillID, minimumTrust: Double = 0, failed: Set<NodeID> = [], flow: FlowState = FlowState(), explore: Bool = false,
        deterministicOnly: Bool = false
    ) async -> Route {
        let (registry, unreachable) = await peers.routingView()
        // This node's places for this skill: its own, or those of the applications serving it. Its
        // own work takes a free slot here or waits in the coordinator's PlacementQueue (where it can
        // still go to whichever node frees first), so the executor's queue is not offered to it.
        let here = executor.occupancy(of: skill)
        let local = SkillRouter.LocalNode(
            id: nodeID, skills: localSkills, capacity: here.capacity, running: here.running, maxQueued: 0, queued: here.queued,
            deterministic: executor.isDeterministic(skill) ? [skill] : [])
        let state = SkillRouter.PeerState(
            trust: await reputation.trustScores(), unreachable: unreachable, circuitOpen: flow.circuitOpen, inFlight: flow.inFlight,
            windowFull: flow.windowFull, awaitingVerification: flow.awaitingVerification)
        var rng = SystemRandomNumberGenerator()
        return router.route(
            .init(skill: skill, minimumTrust: minimumTrust, failed: failed, explore: explore, deterministicOnly: deterministicOnly),
            local: local, registry: registry,
            experience: await reputation.experience, peers: state, now: .now, using: &rng)
    }
}

extension NodeContext {
    /// Whether `node` vouches that `skill`'s output depends only on its input, so that its results
    /// may be compared with other nodes' (verification, votes, convictions).
    func declaresDeterministic(_ skill: SkillID, on node: NodeID) async -> Bool {
        if node == nodeID { return isDeterministic(skill) }
        return await peers.isDeterministic(skill, on: node)  // one lookup, not a copy of the registry
    }
}
