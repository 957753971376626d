/// Ranks the nodes that could run a task, best first.
///
/// First cut (the routing issue replaces the scoring, not this interface): this node first when it
/// has the skill, then peers offering it from the least loaded, ties by node ID.
public struct SkillRouter: Sendable {
    public init() {}

    /// - Parameters:
    ///   - localNode: this node.
    ///   - localSkills: the skills this node serves itself.
    public func rank(
        skill: SkillID, localNode: NodeID, localSkills: Set<SkillID>, registry: SkillRegistry
    ) -> [NodeID] {
        var ranked: [NodeID] = localSkills.contains(skill) ? [localNode] : []
        let peers = registry.providers(of: skill).filter { $0 != localNode }
        let load = { (peer: NodeID) -> Double in
            guard let entry = registry.entries[peer], entry.capacity > 0 else { return .infinity }
            return Double(entry.load) / Double(entry.capacity)
        }
        ranked += peers.sorted { a, b in
            let (loadA, loadB) = (load(a), load(b))
            return loadA != loadB ? loadA < loadB : a < b
        }
        return ranked
    }
}
