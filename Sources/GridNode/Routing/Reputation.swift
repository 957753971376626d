import GridCore

/// What this node has learnt of other nodes' work: its ``Experience`` of each (node, skill), and
/// the trust it derives from it. The coordinator records outcomes here; the router reads it.
actor Reputation {
    let localNode: NodeID
    private(set) var experience: Experience

    init(localNode: NodeID, experience: Experience.Settings = .default) {
        self.localNode = localNode
        self.experience = Experience(settings: experience)
    }

    func record(_ outcome: ExperienceOutcome, node: NodeID, skill: SkillID, latency: Duration?) {
        experience.record(outcome, node: node, skill: skill, latency: latency, now: .now)
    }

    func summary(of node: NodeID) -> Experience.Summary {
        experience.summary(of: node)
    }

    /// Trust scores (0...1) of every node with any trust.
    func trustScores() -> [NodeID: Double] {
        [:]
    }

    func trustScore(of node: NodeID) -> Double {
        node == localNode ? 1 : trustScores()[node] ?? 0
    }
}
