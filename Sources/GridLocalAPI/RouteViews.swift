/// `route.explain` parameters: how the node would route a task of `skill` now.
public struct RouteParams: Codable, Sendable, Equatable {
    public var skill: String
    /// The least trust (0-1) the task would ask of its executor. Default 0.
    public var minTrust: Double?

    public init(skill: String, minTrust: Double? = nil) {
        self.skill = skill
        self.minTrust = minTrust
    }
}

/// One node in a `route.explain` answer: a ranked candidate (with `rank` and its score's parts),
/// or a node a filter removed (with `excluded`, and score 0). Ranked candidates come first, best
/// first; excluded nodes follow.
public struct RouteEntryView: Codable, Sendable, Equatable {
    public var nodeId: String
    /// Whether this is the node answering.
    public var local: Bool
    /// 1 for the best candidate; absent for an excluded node.
    public var rank: Int?
    /// The weighted mean of the parts below, 0-1.
    public var score: Double
    /// Each part, 0-1, before weighting (trust is also given for excluded nodes).
    public var trust: Double
    public var rating: Double?
    public var latency: Double?
    public var load: Double?
    public var recency: Double?
    /// Rated outcomes behind `rating`.
    public var samples: Int?
    /// Why a filter removed the node: "lacksSkill", "notAlive", "alreadyFailed", "circuitOpen",
    /// "atCapacity" or "belowMinimumTrust".
    public var excluded: String?
    /// The same in words.
    public var reason: String?

    public init(
        nodeId: String, local: Bool, rank: Int? = nil, score: Double, trust: Double, rating: Double? = nil, latency: Double? = nil,
        load: Double? = nil, recency: Double? = nil, samples: Int? = nil, excluded: String? = nil, reason: String? = nil
    ) {
        self.nodeId = nodeId
        self.local = local
        self.rank = rank
        self.score = score
        self.trust = trust
        self.rating = rating
        self.latency = latency
        self.load = load
        self.recency = recency
        self.samples = samples
        self.excluded = excluded
        self.reason = reason
    }
}
