/// Who offers which skill: each peer's latest signed SkillAnnouncement, with its capacity, its load
/// and when it was last heard from.
///
/// An announcement replaces the peer's entry whole, so a skill it no longer lists is gone at once.
/// A peer not heard from within ``Settings/expiry`` drops out (``expire(now:)``), and a peer the
/// peer layer declares dead or disconnected is removed by the shell (``remove(_:)``).
public struct SkillRegistry: Sendable {
    public struct Settings: Sendable, Equatable {
        /// How long an entry lasts without a new announcement (or any other sign of life). Default
        /// 90 s: three of a node's periodic announcements (every 30 s), so one lost announcement
        /// does not drop a live peer.
        public var expiry: Duration
        /// Most peers kept; when full, the one heard from longest ago makes room. Default 10000.
        public var maxPeers: Int

        public init(expiry: Duration = .seconds(90), maxPeers: Int = 10_000) {
            precondition(expiry > .zero && maxPeers > 0, "a registry keeps something for some time")
            self.expiry = expiry
            self.maxPeers = maxPeers
        }

        public static let `default` = Settings()
    }

    /// One peer's latest announcement.
    public struct Entry: Sendable, Equatable {
        public var skills: Set<SkillID>
        /// Tasks the peer runs at once.
        public var capacity: Int
        /// Tasks it was running when it last announced.
        public var load: Int
        /// Tasks waiting in its queues then, and the most it queues beyond its capacity (0 for a
        /// node that does not say).
        public var queued: Int
        public var maxQueued: Int
        /// The skills among `skills` the peer declared deterministic (its output depends only on the
        /// input): only their results may be compared with other nodes'. Default: none.
        public var deterministic: Set<SkillID>
        /// When this node last heard from the peer.
        public var lastSeen: ContinuousClock.Instant

        /// `deterministic` is kept only where it names a skill in `skills`.
        public init(
            skills: Set<SkillID>, capacity: Int, load: Int, queued: Int = 0, maxQueued: Int = 0, deterministic: Set<SkillID> = [],
            lastSeen: ContinuousClock.Instant
        ) {
            self.skills = skills
            self.capacity = capacity
            self.load = load
            self.queued = queued
            self.maxQueued = maxQueued
            self.deterministic = deterministic.intersection(skills)
            self.lastSeen = lastSeen
        }
    }

    public let settings: Settings
    public private(set) var entries: [NodeID: Entry] = [:]

    public init(settings: Settings = .default) {
        self.settings = settings
    }

    /// Replaces what is known of `peer` with its latest announcement.
    public mutating func update(_ peer: NodeID, _ entry: Entry) {
        if entries[peer] == nil, entries.count >= settings.maxPeers,
            let stalest = entries.min(by: { $0.value.lastSeen < $1.value.lastSeen })?.key
        {
            entries[stalest] = nil
        }
        entries[peer] = entry
    }

    /// `peer` showed it is alive (any verified message): its entry lasts another ``Settings/expiry``.
    public mutating func heard(from peer: NodeID, at now: ContinuousClock.Instant) {
        entries[peer]?.lastSeen = now
    }

    public mutating func remove(_ peer: NodeID) {
        entries[peer] = nil
    }

    /// Drops the peers not heard from within the expiry; returns them, in node-ID order.
    @discardableResult
    public mutating func expire(now: ContinuousClock.Instant) -> [NodeID] {
        let stale = entries.filter { !isFresh($0.value, now: now) }.keys.sorted()
        for peer in stale { entries[peer] = nil }
        return stale
    }

    /// Whether `entry` was heard from within the expiry.
    public func isFresh(_ entry: Entry, now: ContinuousClock.Instant) -> Bool {
        entry.lastSeen.duration(to: now) < settings.expiry
    }

    public func skills(of peer: NodeID) -> Set<SkillID> {
        entries[peer]?.skills ?? []
    }

    /// Whether `peer` announced `skill` as deterministic in its latest announcement. False for a
    /// peer not in the registry, and for a skill it does not announce.
    public func isDeterministic(_ skill: SkillID, on peer: NodeID) -> Bool {
        entries[peer]?.deterministic.contains(skill) ?? false
    }

    /// What `peer`'s latest announcement says of `skill`: true when it announces the skill as
    /// deterministic, false when it announces it as not deterministic, nil when it does not announce
    /// the skill at all (or is not in the registry), so this node does not know.
    public func deterministicDeclaration(of skill: SkillID, by peer: NodeID) -> Bool? {
        guard let entry = entries[peer], entry.skills.contains(skill) else { return nil }
        return entry.deterministic.contains(skill)
    }

    /// Peers that announced `skill`, in node-ID order.
    public func providers(of skill: SkillID) -> [NodeID] {
        entries.compactMap { $0.value.skills.contains(skill) ? $0.key : nil }.sorted()
    }
}
