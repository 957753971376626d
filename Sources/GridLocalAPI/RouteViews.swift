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
    /// Why a filter removed the node: "lacksSkill", "notDeterministic" (asked of a check or tie-breaker only), "notAlive", "alreadyFailed", "convicted",
    /// "circuitOpen", "awaitingVerification", "atCapacity" or "belowMinimumTrust".
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

/// `peers.evidence` parameters: the evidence against one peer (every peer when absent).
public struct EvidenceParams: Codable, Sendable, Equatable {
    public var nodeId: String?
    /// Most rows, newest first (1-1000, default 100).
    public var limit: Int?

    public init(nodeId: String? = nil, limit: Int? = nil) {
        self.nodeId = nodeId
        self.limit = limit
    }
}

/// A wrong result on record: the peer's signed TaskResult and the signed result it contradicts
/// (this node's own re-run for a spot-check, a majority replica's for a vote, a witness's for
/// evidence a peer shared), each a serialized grid.v1.SignedEnvelope in hex that anyone can verify.
public struct EvidenceView: Codable, Sendable, Equatable {
    public var nodeId: String
    public var taskId: String
    public var skill: String
    /// "spot_check", "replica_vote" or "shared" (a peer's ConvictionEvidence, judged here to hold).
    public var kind: String
    public var theirDigest: String
    public var theirResult: String
    public var otherNodeId: String
    public var otherDigest: String
    public var otherResult: String
    public var atMs: Int64
    /// The whole proof, a serialized grid.v1.ConvictionEvidence in hex, when this node keeps one
    /// to pass on to its peers; absent otherwise.
    public var conviction: String?

    public init(
        nodeId: String, taskId: String, skill: String, kind: String, theirDigest: String, theirResult: String, otherNodeId: String,
        otherDigest: String, otherResult: String, atMs: Int64, conviction: String? = nil
    ) {
        self.nodeId = nodeId
        self.taskId = taskId
        self.skill = skill
        self.kind = kind
        self.theirDigest = theirDigest
        self.theirResult = theirResult
        self.otherNodeId = otherNodeId
        self.otherDigest = otherDigest
        self.otherResult = otherResult
        self.atMs = atMs
        self.conviction = conviction
    }
}
