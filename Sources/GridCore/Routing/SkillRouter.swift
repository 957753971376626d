/// Ranks the nodes that could run a task, best first, and says why the others cannot
/// (docs/ROUTING.md has the formula).
///
/// Candidates are this node, when it has the skill, and every peer in the registry. Hard filters
/// remove a candidate that lacks the skill, is not alive (unheard of past the registry's expiry, or
/// suspect to the peer layer), already failed this task, was convicted of a wrong result lately
/// (``Experience/isConvicted(_:now:)``), has an open circuit, is on probation with a result under
/// check, holds a full in-flight window of this
/// node's tasks, is at capacity, or has less trust than the task's minimum. The rest are scored
///
///     score = (w_t·trust + w_r·rating + w_l·latency + w_c·load + w_h·recency) / (w_t + w_r + w_l + w_c + w_h)
///
/// with every part in 0...1 (``ScoreParts``), and ranked by score; equal scores are ordered by the
/// injected random number generator, so equal nodes share the work.
public struct SkillRouter: Sendable {
    public struct Settings: Sendable, Equatable {
        public var weights: RoutingWeights
        /// Rated outcomes a node needs before its own record weighs as much as the prior (the
        /// mean rate of the other candidates with a record, or ½ when none has). Default 10.
        public var ratingPriorSamples: Double
        /// The latency that scores ½: `latency part = ref / (ref + latency)`. Default 50 ms.
        public var latencyReferenceMs: Double
        /// A node's recency part halves for every this much time since it was last heard from.
        /// Default 30 s.
        public var recencyHalfLife: Duration
        /// A peer with fewer rated outcomes than this for the skill is a novice, which an exploring
        /// request puts first (``Request/explore``). Default 5.
        public var noviceSamples: Int

        public init(
            weights: RoutingWeights = .default, ratingPriorSamples: Double = 10, latencyReferenceMs: Double = 50,
            recencyHalfLife: Duration = .seconds(30), noviceSamples: Int = 5
        ) {
            self.weights = weights
            self.ratingPriorSamples = ratingPriorSamples
            self.latencyReferenceMs = latencyReferenceMs
            self.recencyHalfLife = recencyHalfLife
            self.noviceSamples = noviceSamples
        }

        public static let `default` = Settings()
    }

    /// This node, as a candidate.
    public struct LocalNode: Sendable, Equatable {
        public var id: NodeID
        public var skills: Set<SkillID>
        /// Tasks it runs at once, and is running now.
        public var capacity: Int
        public var running: Int
        /// Room in its local queue, and tasks waiting there: a local task queues instead of
        /// being refused, so the local node is at capacity only when the queue is full too.
        public var maxQueued: Int
        public var queued: Int
        /// Its skills whose output depends only on the input.
        public var deterministic: Set<SkillID>

        public init(
            id: NodeID, skills: Set<SkillID>, capacity: Int, running: Int = 0, maxQueued: Int = 0, queued: Int = 0,
            deterministic: Set<SkillID> = []
        ) {
            self.deterministic = deterministic
            self.id = id
            self.skills = skills
            self.capacity = capacity
            self.running = running
            self.maxQueued = maxQueued
            self.queued = queued
        }
    }

    /// What is asked of the route.
    public struct Request: Sendable, Equatable {
        public var skill: SkillID
        /// Least trust score (0...1) an executor must have; 0 admits every node.
        public var minimumTrust: Double
        /// Nodes that already failed this task.
        public var failed: Set<NodeID>
        /// Put the best-scored novice peer first, when there is one behind the best candidate
        /// (``ExplorationBudget`` says when).
        public var explore: Bool
        /// Only nodes that declare the skill deterministic (a run that checks another's result).
        public var deterministicOnly: Bool

        public init(
            skill: SkillID, minimumTrust: Double = 0, failed: Set<NodeID> = [], explore: Bool = false, deterministicOnly: Bool = false
        ) {
            self.deterministicOnly = deterministicOnly
            self.skill = skill
            self.minimumTrust = minimumTrust
            self.failed = failed
            self.explore = explore
        }
    }

    /// What the router knows of the peers besides the registry and experience.
    public struct PeerState: Sendable {
        /// Trust scores (0...1, ``TrustGraph``'s scale); a missing node has 0.
        public var trust: [NodeID: Double]
        /// Peers the peer layer holds suspect or dead.
        public var unreachable: Set<NodeID>
        /// Peers whose circuit breaker is open.
        public var circuitOpen: Set<NodeID>
        /// Tasks this node has in flight on each peer, counted on top of its announced load.
        public var inFlight: [NodeID: Int]
        /// Peers holding as many of this node's tasks as their in-flight window allows (``PeerFlow``).
        public var windowFull: Set<NodeID>
        /// Peers on probation whose last result for the skill is being checked: no more work
        /// until it is confirmed, so a new liar delivers at most one wrong result.
        public var awaitingVerification: Set<NodeID>

        public init(
            trust: [NodeID: Double] = [:], unreachable: Set<NodeID> = [], circuitOpen: Set<NodeID> = [], inFlight: [NodeID: Int] = [:],
            windowFull: Set<NodeID> = [], awaitingVerification: Set<NodeID> = []
        ) {
            self.awaitingVerification = awaitingVerification
            self.trust = trust
            self.unreachable = unreachable
            self.circuitOpen = circuitOpen
            self.inFlight = inFlight
            self.windowFull = windowFull
        }
    }

    public var settings: Settings

    public init(settings: Settings = .default) {
        self.settings = settings
    }

    /// The candidates for `request`, ranked, and the nodes filtered out with the reason.
    public func route(
        _ request: Request, local: LocalNode, registry: SkillRegistry, experience: Experience, peers: PeerState,
        now: ContinuousClock.Instant, using rng: inout some RandomNumberGenerator
    ) -> Route {
        var excluded: [Route.Excluded] = []
        var eligible: [(node: NodeID, isLocal: Bool)] = []

        if let reason = localExclusion(request, local) {
            excluded.append(.init(node: local.id, isLocal: true, reason: reason))
        } else {
            eligible.append((local.id, true))
        }
        for (peer, entry) in registry.entries where peer != local.id {
            if let reason = peerExclusion(request, peer, entry, registry: registry, experience: experience, peers: peers, now: now) {
                excluded.append(.init(node: peer, isLocal: false, reason: reason))
            } else {
                eligible.append((peer, false))
            }
        }

        // Ties are broken by a keyed hash of each node ID under one random draw: the order of
        // equal candidates changes from call to call, and does not depend on the order in which
        // the registry's dictionary happens to list them.
        let salt = rng.next()
        let records = eligible.map { experience.record(node: $0.node, skill: request.skill) }
        let prior = Self.ratingPrior(records)
        var scored: [(candidate: Route.Candidate, tiebreak: UInt64)] = []
        scored.reserveCapacity(eligible.count)
        for ((node, isLocal), record) in zip(eligible, records) {
            let parts = scoreParts(
                node, isLocal: isLocal, record: record, local: local, registry: registry, peers: peers, prior: prior, now: now)
            let candidate = Route.Candidate(
                node: node, isLocal: isLocal, score: score(parts), parts: parts, samples: record?.samples ?? 0)
            scored.append((candidate, Self.tiebreak(node, salt: salt)))
        }
        scored.sort { a, b in
            if a.candidate.score != b.candidate.score { return a.candidate.score > b.candidate.score }
            if a.tiebreak != b.tiebreak { return a.tiebreak < b.tiebreak }
            return a.candidate.node < b.candidate.node
        }
        excluded.sort { $0.isLocal != $1.isLocal ? $0.isLocal : $0.node < $1.node }
        var ranked = scored.map(\.candidate)
        var explored: NodeID?
        if request.explore, let novice = ranked.indices.dropFirst().first(where: { isNovice(ranked[$0]) }) {
            let candidate = ranked.remove(at: novice)
            ranked.insert(candidate, at: 0)
            explored = candidate.node
        }
        return Route(ranked: ranked, excluded: excluded, explored: explored)
    }

    /// A peer too little known for its score to mean much (this node never is).
    private func isNovice(_ candidate: Route.Candidate) -> Bool {
        !candidate.isLocal && candidate.samples < settings.noviceSamples
    }

    /// SplitMix64 of the node ID's first eight bytes mixed with `salt`.
    static func tiebreak(_ node: NodeID, salt: UInt64) -> UInt64 {
        var z = salt
        for byte in node.bytes.prefix(8) { z = (z << 8 | z >> 56) ^ UInt64(byte) }
        z &+= 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The mean success rate of the candidates with a record for the skill; ½ when none has one.
    private static func ratingPrior(_ records: [Experience.Record?]) -> Double {
        var total = 0.0
        var count = 0
        for record in records {
            if let rate = record?.successRate {
                total += rate
                count += 1
            }
        }
        return count == 0 ? 0.5 : total / Double(count)
    }

    /// The weighted mean of `parts`, in 0...1.
    public func score(_ parts: ScoreParts) -> Double {
        let w = settings.weights
        guard w.sum > 0 else { return 0 }
        return (w.trust * parts.trust + w.rating * parts.rating + w.latency * parts.latency + w.load * parts.load
            + w.recency * parts.recency) / w.sum
    }

    private func localExclusion(_ request: Request, _ local: LocalNode) -> Route.Reason? {
        if !local.skills.contains(request.skill) { return .lacksSkill }
        if request.deterministicOnly, !local.deterministic.contains(request.skill) { return .notDeterministic }
        if request.failed.contains(local.id) { return .alreadyFailed }
        if local.running + local.queued >= local.capacity + local.maxQueued { return .atCapacity }
        return nil
    }

    private func peerExclusion(
        _ request: Request, _ peer: NodeID, _ entry: SkillRegistry.Entry, registry: SkillRegistry, experience: Experience,
        peers: PeerState, now: ContinuousClock.Instant
    ) -> Route.Reason? {
        if !entry.skills.contains(request.skill) { return .lacksSkill }
        if request.deterministicOnly, !entry.deterministic.contains(request.skill) { return .notDeterministic }
        if !registry.isFresh(entry, now: now) || peers.unreachable.contains(peer) { return .notAlive }
        if request.failed.contains(peer) { return .alreadyFailed }
        if experience.isConvicted(peer, now: now) { return .convicted }
        if peers.circuitOpen.contains(peer) { return .circuitOpen }
        if peers.awaitingVerification.contains(peer) { return .awaitingVerification }
        if peers.windowFull.contains(peer) { return .windowFull }
        // Its announced work includes ours there, so the larger of the two is the best estimate of
        // what it holds (the sum would count our tasks twice and stall once it reported them).
        if max(entry.load + entry.queued, peers.inFlight[peer, default: 0]) >= entry.capacity + entry.maxQueued { return .atCapacity }
        let trust = peers.trust[peer] ?? 0
        if trust < request.minimumTrust { return .belowMinimumTrust(trust: trust, minimum: request.minimumTrust) }
        return nil
    }

    private func scoreParts(
        _ node: NodeID, isLocal: Bool, record: Experience.Record?, local: LocalNode, registry: SkillRegistry, peers: PeerState,
        prior: Double, now: ContinuousClock.Instant
    ) -> ScoreParts {
        let samples = Double(record?.samples ?? 0)
        let successes = Double(record?.successes ?? 0)
        let m = settings.ratingPriorSamples
        let rating = samples + m > 0 ? (successes + m * prior) / (samples + m) : prior

        let reference = settings.latencyReferenceMs
        let latency: Double
        if let ms = record?.latencyMs {
            latency = reference / (reference + ms)
        } else {
            latency = isLocal ? 1 : 0.5  // this node pays no network cost; an unknown peer is middling
        }

        let load: Double
        let recency: Double
        if isLocal {
            load = local.capacity > 0 ? 1 - Double(local.running + local.queued) / Double(local.capacity) : 0
            recency = 1
        } else if let entry = registry.entries[node] {
            let busy = entry.load + peers.inFlight[node, default: 0]
            load = entry.capacity > 0 ? 1 - Double(busy) / Double(entry.capacity) : 0
            recency = Decay.factor(elapsed: entry.lastSeen.duration(to: now), halfLife: settings.recencyHalfLife)
        } else {
            load = 0
            recency = 0
        }
        return ScoreParts(
            trust: isLocal ? 1 : min(max(peers.trust[node] ?? 0, 0), 1), rating: rating, latency: latency,
            load: min(max(load, 0), 1), recency: recency)
    }
}

/// One candidate's score, part by part, each in 0...1 before weighting.
public struct ScoreParts: Sendable, Equatable {
    public var trust: Double
    public var rating: Double
    public var latency: Double
    public var load: Double
    public var recency: Double

    public init(trust: Double, rating: Double, latency: Double, load: Double, recency: Double) {
        self.trust = trust
        self.rating = rating
        self.latency = latency
        self.load = load
        self.recency = recency
    }
}

/// The router's answer: the candidates best first, and every node it left out, with why.
public struct Route: Sendable, Equatable {
    public struct Candidate: Sendable, Equatable {
        public var node: NodeID
        public var isLocal: Bool
        public var score: Double
        public var parts: ScoreParts
        /// Rated outcomes behind its rating.
        public var samples: Int
    }

    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// Whether a node left out for this reason serves the skill and may have room later (full,
        /// window full, awaiting verification, circuit open, not alive): a task may wait for it.
        public var isTransient: Bool {
            switch self {
            case .atCapacity, .windowFull, .circuitOpen, .notAlive, .awaitingVerification: true
            case .lacksSkill, .notDeterministic, .alreadyFailed, .convicted, .belowMinimumTrust: false
            }
        }

        case lacksSkill
        case notDeterministic
        case notAlive
        case alreadyFailed
        case convicted
        case circuitOpen
        case awaitingVerification
        case windowFull
        case atCapacity
        case belowMinimumTrust(trust: Double, minimum: Double)

        public var description: String {
            switch self {
            case .lacksSkill: "does not offer the skill"
            case .notDeterministic: "does not declare the skill deterministic, so its run cannot check another's"
            case .notAlive: "not alive (not heard from lately, or suspect)"
            case .alreadyFailed: "already failed this task"
            case .convicted: "returned a wrong result lately (see gridnode peers evidence)"
            case .circuitOpen: "circuit open after repeated failures"
            case .awaitingVerification: "new here, and its last result is being checked"
            case .windowFull: "holds as many of this node's tasks as its in-flight window allows"
            case .atCapacity: "at capacity"
            case .belowMinimumTrust(let trust, let minimum):
                "trust \(Route.percent(trust)) is below the task's minimum \(Route.percent(minimum))"
            }
        }
    }

    public struct Excluded: Sendable, Equatable {
        public var node: NodeID
        public var isLocal: Bool
        public var reason: Reason
    }

    public var ranked: [Candidate]
    public var excluded: [Excluded]
    /// The novice put first by an exploring request, if any.
    public var explored: NodeID?

    public init(ranked: [Candidate], excluded: [Excluded], explored: NodeID? = nil) {
        self.ranked = ranked
        self.excluded = excluded
        self.explored = explored
    }

    /// The ranked nodes, best first.
    public var nodes: [NodeID] { ranked.map(\.node) }

    /// The best `k` distinct nodes (fewer when fewer qualify), for redundancy.
    public func top(_ k: Int) -> [NodeID] { Array(nodes.prefix(max(k, 0))) }

    static func percent(_ value: Double) -> String {
        let tenths = Int((value * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }
}
