import GridCore

/// One node of the grid as a provider: its current identity, what it is, and the runs it holds.
struct SimProvider {
    var id: NodeID
    let role: SimRole
    /// In the grid now (newcomers are absent until they join).
    var present: Bool
    /// Index of its current identity in the engine's identity table.
    var identity: Int
    /// When each run it holds now ends.
    var running: [ContinuousClock.Instant] = []
    /// Fresh identities taken so far (Sybils).
    var rebirths = 0

    /// Runs in progress at `now` (finished ones are dropped).
    mutating func load(now: ContinuousClock.Instant) -> Int {
        if !running.isEmpty { running.removeAll { $0 <= now } }
        return running.count
    }
}

/// One identity a node had: the unit the report's per-liar and framing figures count.
struct SimIdentity {
    let slot: Int
    let role: SimRole
    /// Whether it appeared mid-run (a newcomer, or a Sybil's fresh identity).
    let newcomer: Bool
    /// Runs it was given (deliveries, checks and tie-breakers).
    var runs = 0
    /// Runs it was given in the steady-state part of the run.
    var steadyRuns = 0
    /// Task index of its last run, -1 before the first.
    var lastRun = -1
    /// Honest requesters that convicted it, from their own votes and from evidence.
    var convictedDirectly = 0
    var convictedByEvidence = 0
    var convictedBy: Int { convictedDirectly + convictedByEvidence }
}

/// An honest node as a requester: its own view of the grid, through the real machines.
struct SimRequester {
    let slot: Int
    var id: NodeID
    /// Slots of the nodes it knows (its registry): the bootstrap nodes first, then its peers.
    var known: [Int]
    var registry: SkillRegistry
    var experience: Experience
    var graph: TrustGraph
    /// Trust scores of the known nodes as of the last recompute, for the router.
    var trust: [NodeID: Double] = [:]
    var budget: ExplorationBudget
    /// Tasks it submitted.
    var tasks = 0
    /// Recomputes of its trust so far.
    var recomputes = 0
    /// Epoch of the last report taken from each honest reporter, by slot.
    var seenEpoch: [Int: UInt64] = [:]
    /// Its own TrustReport (its normalised local trust) and the report's epoch.
    var report: [(node: NodeID, trust: Double)] = []
    var reportEpoch: UInt64 = 0
}

/// The evidence of one conviction on its way to other nodes.
struct SimEvidence {
    /// Grid-wide task index at which it arrives.
    let due: Int
    let accused: NodeID
    /// The agreeing runs that contradict the accused (two or more, none of them the accused).
    let witnesses: [NodeID]
    /// The requester that convicted (its index among the requesters).
    let from: Int
    /// The task's input, and the output the witnesses agreed on.
    let input: UInt64
    let witnessOutput: [UInt8]
}
