import Foundation
import GridCore
import Synchronization
import GridCrypto
import GridStore
import GridWire
import Logging

/// What every part of a running node shares. Built once by ``GridNode`` and never changed.
final class NodeContext: Sendable {
    let identity: SigningIdentity
    let settings: NodeSettings
    let database: GridDatabase
    /// The one writer of task state (group commit on a thread of its own), and reads of tasks
    /// with the outcomes it has not committed yet.
    let journal: TaskJournal
    /// The circuit breakers saved before the last stop, for the coordinator to start from.
    let savedBreakers: CircuitBreakers.Snapshot?
    let logger: Logger
    let stats: NodeStats
    let peers: PeerManager
    let executor: LocalExecutor
    let claims: ClaimGuard
    let discovery: Discovery
    let sealer: EnvelopeSealer
    let reputation: Reputation
    let router: SkillRouter
    /// The events of the tasks in flight here, for watchers.
    let events = TaskEventHub()
    /// Owns the short tasks the shell starts from synchronous code.
    let tasks: NodeTasks
    /// Proofs of wrong results shared with and by the peers: ``EvidenceGossip/share(_:)`` sends
    /// this node's own.
    let evidence: EvidenceGossip
    /// Connections refused or failed before their handshake completed: one log line per 10 s
    /// however many there are, so a flood of garbage connections cannot fill the disk.
    let refusals = RefusalLog(what: "connections refused or failed in their handshake")
    /// The faults this node injects (only with `run --allow-faults`; healthy otherwise).
    let faults: FaultSwitch
    /// Set once a signal asked the node to stop: it takes no new work (submissions, peers' task
    /// requests) while it drains.
    private let stoppingFlag = Atomic<Bool>(false)
    var isStopping: Bool { stoppingFlag.load(ordering: .acquiring) }
    func beginStopping() { stoppingFlag.store(true, ordering: .releasing) }

    init(
        identity: SigningIdentity, settings: NodeSettings, database: GridDatabase, logger: Logger, customSkills: [SkillID: any Skill] = [:],
        preTrusted: Set<NodeID> = [], saved: SavedReputation? = nil
    ) {
        self.identity = identity
        self.settings = settings
        self.database = database
        journal = TaskJournal(database: database)
        self.logger = logger
        let stats = NodeStats(), tasks = NodeTasks()
        self.stats = stats
        self.tasks = tasks
        let sealer = EnvelopeSealer(identity: identity)
        self.sealer = sealer
        let saved = saved ?? Self.savedReputation(database, logger: logger)
        savedBreakers = saved.breakers
        let reputation = Reputation(
            localNode: identity.nodeID, preTrusted: preTrusted.union(settings.trustedPeerIDs), experience: settings.experienceSettings,
            trust: TrustGraph.Settings(preTrustWeight: settings.trustPreTrustWeight), restoring: saved.experience,
            convictions: saved.convictions, nowMs: WallClock.nowMs())
        self.reputation = reputation
        router = SkillRouter(settings: .init(weights: settings.routingWeights))
        let peers = PeerManager(
            localNode: identity.nodeID, liveness: settings.liveness, limits: settings.connectionLimits,
            registry: settings.registrySettings, misbehaviour: settings.misbehaviour)
        self.peers = peers
        claims = ClaimGuard(settings: settings, startedAtMs: UInt64(WallClock.nowMs()))
        discovery = Discovery(
            localNode: identity.nodeID, targetOutbound: settings.targetOutboundConnections, maxAgeMs: UInt64(settings.peerRecordMaxAgeMs))
        let faults = FaultSwitch(allowed: settings.allowFaults)
        self.faults = faults
        let executor = LocalExecutor(
            skills: BuiltinSkills.all.filter { settings.skillIDs.contains($0.key) }.merging(customSkills) { _, custom in custom },
            capacity: settings.maxConcurrentTasks, maxQueued: settings.maxQueuedTasks, queue: settings.queueSettings, faults: faults)
        self.executor = executor
        evidence = EvidenceGossip(
            localNode: identity.nodeID, settings: settings, peers: peers, reputation: reputation, executor: executor, database: database,
            tasks: tasks, stats: stats, sealer: sealer, logger: logger)
    }

    var nodeID: NodeID { identity.nodeID }

    /// Names of the snapshots of the node's memory of its peers in the store.
    static let experienceSnapshot = "experience"
    static let breakersSnapshot = "breakers"

    /// What the store remembers of the peers' work: the last saved experience, and the
    /// convictions its evidence proves. What cannot be read is logged and left out.
    /// What the store remembers of the peers, read once at start.
    struct SavedReputation: Sendable {
        var experience: Experience.Snapshot?
        var convictions: [(node: NodeID, atMs: Int64)]
        var breakers: CircuitBreakers.Snapshot?
    }

    static func savedReputation(_ database: GridDatabase, logger: Logger) -> SavedReputation {
        var experience: Experience.Snapshot?
        do {
            experience = try database.snapshot(experienceSnapshot, as: Experience.Snapshot.self)
        } catch {
            logger.warning("starting with no experience of the peers: \(error.message)")
        }
        var convictions: [(node: NodeID, atMs: Int64)] = []
        do {
            for record in try database.evidence(limit: 10_000) {
                if let node = try? NodeID(hex: record.peer) { convictions.append((node, record.atMs)) }
            }
        } catch {
            logger.warning("cannot read the evidence of wrong results: \(error.message)")
        }
        var breakers: CircuitBreakers.Snapshot?
        do {
            breakers = try database.snapshot(breakersSnapshot, as: CircuitBreakers.Snapshot.self)
        } catch {
            logger.warning("starting with every circuit closed: \(error.message)")
        }
        return SavedReputation(experience: experience, convictions: convictions, breakers: breakers)
    }

    /// The skills this node serves now: built-ins named in settings, skills given in code, and those
    /// applications connected to the local socket serve.
    var localSkills: Set<SkillID> { executor.servedSkills }

    /// Whether `skill` is deterministic on this node (``LocalExecutor/isDeterministic(_:)``): only
    /// such a skill's results may be compared with other nodes'.
    func isDeterministic(_ skill: SkillID) -> Bool { executor.isDeterministic(skill) }

    /// Signs `message` as this node, encoded as a frame for `PeerSession.send`.
    func sealed<M: WireMessage>(_ message: M) throws -> SealedClaim {
        try sealer.claim(message)
    }

    /// Counts `offence` by `peer`, and bans it for a while when that takes its score to `banThreshold`.
    func misbehaved(_ peer: NodeID, _ offence: Offence) async {
        await peers.punish(peer, offence, stats: stats, logger: logger)
    }
}

/// Wall-clock time for records and envelope timestamps (never for timers: those use ContinuousClock).
enum WallClock {
    static func nowMs() -> Int64 { Int64(EnvelopeSealer.wallClockMs()) }

}
