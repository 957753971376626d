/// Who offers which skill, as announced by connected peers (first cut: no expiry yet; a peer's
/// entry goes when its connection does).
public struct SkillRegistry: Sendable {
    /// One peer's latest announcement.
    public struct Entry: Sendable, Equatable {
        public var skills: Set<SkillID>
        /// Tasks the peer runs at once.
        public var capacity: Int
        /// Tasks it was running when it last announced.
        public var load: Int

        public init(skills: Set<SkillID>, capacity: Int, load: Int) {
            self.skills = skills
            self.capacity = capacity
            self.load = load
        }
    }

    public private(set) var entries: [NodeID: Entry] = [:]

    public init() {}

    /// Replaces what is known of `peer` with its latest announcement.
    public mutating func update(_ peer: NodeID, _ entry: Entry) {
        entries[peer] = entry
    }

    public mutating func remove(_ peer: NodeID) {
        entries[peer] = nil
    }

    public func skills(of peer: NodeID) -> Set<SkillID> {
        entries[peer]?.skills ?? []
    }

    /// Peers that announced `skill`, in node-ID order.
    public func providers(of skill: SkillID) -> [NodeID] {
        entries.compactMap { $0.value.skills.contains(skill) ? $0.key : nil }.sorted()
    }
}
