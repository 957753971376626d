/// How a task's replicas share the ranked candidates: replica *i* starts on the *i*-th best node,
/// and its fallbacks are every *k*-th node after the top *k*, so no two replicas ever share a node.
/// A replica with no node of its own waits for capacity (its machine parks it).
public enum ReplicaPlan {
    /// The candidates of each of `replicas` replicas, best first; an ordinary task (1 replica)
    /// gets the whole ranking.
    public static func candidates(ranked: [NodeID], replicas k: Int) -> [[NodeID]] {
        precondition(k >= 1, "at least one replica")
        guard k > 1 else { return [ranked] }
        return (0..<k).map { replica in
            guard replica < ranked.count else { return [] }
            let fallbacks = ranked.count > k ? stride(from: k + replica, to: ranked.count, by: k).map { ranked[$0] } : []
            return [ranked[replica]] + fallbacks
        }
    }

    /// Why a task of `replicas` replicas cannot start, or nil when enough distinct nodes can run
    /// it now (`ranked`) or later (`waiting`: they serve the skill but have no room).
    public static func shortfall(replicas k: Int, skill: SkillID, ranked: Int, waiting: Int) -> TaskFailure? {
        guard k > 1, ranked + waiting < k else { return nil }
        return TaskFailure(
            .noProvider,
            "\(k) replicas of '\(skill)' need \(k) distinct nodes that can run it now; only \(ranked) can: ask for fewer replicas or retry later")
    }
}
