import GridCore

extension NodeContext {
    /// Ranks the nodes for a task of `skill`, this node included, with everything the router
    /// needs gathered from the peer layer, the executor and the reputation.
    func route(
        _ skill: SkillID, minimumTrust: Double = 0, failed: Set<NodeID> = [], inFlight: [NodeID: Int] = [:]
    ) async -> Route {
        let (registry, unreachable) = await peers.routingView()
        let local = SkillRouter.LocalNode(
            id: nodeID, skills: localSkills, capacity: executor.capacity, running: await executor.load,
            maxQueued: executor.maxQueued, queued: await executor.waiting)
        let state = SkillRouter.PeerState(trust: await reputation.trustScores(), unreachable: unreachable, inFlight: inFlight)
        var rng = SystemRandomNumberGenerator()
        return router.route(
            .init(skill: skill, minimumTrust: minimumTrust, failed: failed), local: local, registry: registry,
            experience: await reputation.experience, peers: state, now: .now, using: &rng)
    }
}
