import Foundation
import GridCore

/// A deterministic, seeded simulation of a whole grid with lying providers, running the real pure
/// machines of `GridCore/Routing/` for every requester: ``SkillRouter`` (with exploring requests
/// under an ``ExplorationBudget``), ``Experience`` (with confirmed results), ``TrustGraph``
/// (EigenTrust over peers' TrustReports), ``VerificationPolicy`` (which results to check, and on
/// whom) and ``ResultVote`` (checks and tie-breakers). docs/TRUST.md, "Lying providers at grid
/// scale", has the model and the results.
///
/// Every node provides one deterministic skill; honest nodes also request tasks. Each task goes
/// from a random honest requester, through its own router over the peers it knows, to one provider;
/// the requester checks a share of results by one more run (on itself when it runs the skill, else
/// on an anchor or another provider), holds a result of a provider on probation until its check
/// settles, settles a split with tie-breakers, convicts the outvoted when the agreement is
/// anchored, and spreads the evidence of what it convicted, which each receiver judges with
/// ``EvidenceJudge``. Malicious nodes behave as a ``ThreatModel`` says. A ``Settings/Strategy/baseline`` run instead picks a
/// provider at random and checks nothing.
///
/// Simplifications, all deliberate: every run of a task (its delivery, its check, its tie-breakers)
/// is settled at the task's arrival instant; a run's duration only holds a place at its provider.
/// A provider's entry in a requester's registry carries its true load at that instant (an
/// announcement that is never stale). Nodes do not fail, time out or refuse.
///
/// Deterministic: one ``SeededRandomNumberGenerator`` draws everything, time is simulated (an
/// origin instant plus multiples of the task interval; only differences are ever used), and no
/// hashed collection is iterated where its order could matter.
public struct GridSimulation: Sendable {
    public struct Settings: Sendable, Equatable {
        /// How requesters choose providers.
        public enum Strategy: String, Sendable, Equatable, CaseIterable {
            /// The grid's machines: router, experience, trust, verification, votes, evidence.
            case verified
            /// No verification, no trust: a provider chosen at random among the known ones with room.
            case baseline
        }

        /// Who receives the evidence of a conviction.
        public enum EvidenceReach: String, Sendable, Equatable, CaseIterable {
            /// Nobody: each requester convicts only from its own votes.
            case none
            /// Every honest node that knows the convicting node (has it in its registry).
            case knowers
            /// Every honest node.
            case everyone
        }

        /// Nodes in the grid, newcomers included. Default 1,000.
        public var nodes = 1000
        /// Share of the nodes that are malicious (liars, and spies in model D). Default 0.3.
        public var maliciousShare = 0.3
        /// How the malicious nodes behave. Default A, individual liars.
        public var model: ThreatModel = .individual
        /// Model C: share of tasks on which the collective answers honestly. Default 0.5.
        public var camouflageHonesty = 0.5
        /// Model D: share of the malicious nodes that are spies (honest providers vouching for the
        /// liars). Default 0.25.
        public var spyShare = 0.25
        /// Tasks in the run per node (tasks = nodes × this). Default 50.
        public var tasksPerNode = 50
        /// Peers each requester knows (its registry) besides the bootstrap nodes. Default 50.
        public var knownPeers = 50
        /// Honest nodes every node knows and pre-trusts. Default 5.
        public var bootstrapNodes = 5
        /// Runs a provider takes at once. Default 4.
        public var capacity = 4
        /// Share of the grid's places (nodes × capacity) that the tasks' first runs keep busy on
        /// average: tasks reach the grid evenly spaced by the mean run time divided by
        /// `utilisation × nodes × capacity`. Checks and tie-breakers come on top. Default 0.25: the
        /// work must spread over much of the grid (at low load a few trusted nodes take it all),
        /// and there is room for the extra runs while providers are on probation.
        public var utilisation = 0.25
        /// How long a run holds its place at the provider, in ms, drawn uniformly; it is also the
        /// latency the requester records. Default 20...60, as in ``RoutingSimulation``: around the
        /// router's latency reference (50 ms), so the latency part neither favours nor penalises
        /// peers without a record (½) against those with one.
        public var runMilliseconds: ClosedRange<Int> = 20...60
        /// Tasks of a requester between two recomputes of its trust (M). Default 5.
        public var trustEvery = 5
        /// Default ``Strategy/verified``.
        public var strategy: Strategy = .verified
        /// `sample` (deliver, then check a share of results) or `strict` (two runs must agree
        /// before delivery). Default `sample`.
        public var verifyMode: VerifyMode = .sample
        /// Every requester's policy. Default ``VerificationPolicy/default`` (probation 3, floor
        /// 0.05, 2 tie-breakers, results held while on probation).
        public var verification = VerificationPolicy.default
        /// Share of routing decisions that may go to a novice (``ExplorationBudget``). Default
        /// 0.02, as the node's.
        public var explorationShare = 0.02
        /// Whether requesters run the skill themselves: they then take their own tasks when they
        /// rank first, and run checks themselves as the vote's trusted voter. Default false: every
        /// check is another provider's run (the worst case).
        public var requestersRunSkill = false
        /// Experiment, not `Experience.localTrust`: a requester's local trust in a peer is the
        /// number of its results confirmed by anchored votes (``Experience/anchoredCount(node:skill:)``),
        /// not its decayed successes, checked or not. Default false.
        public var localTrustFromConfirmed = false
        /// Experiment, not the coordinator's rule (0 is off, the default): a provider whose trust
        /// score (EigenTrust, this requester's view, 0...1) is at least this, and that passed at
        /// least one anchored check here, has standing as if vouched for — it anchors votes, and is
        /// checked at the policy's floor, its results not held. Implies ``localTrustFromConfirmed``, so trust flows from the pinned nodes
        /// only along anchored confirmations: standing that other nodes vouch for.
        public var trustStanding = 0.0
        /// Default ``EvidenceReach/everyone``: nodes pass on evidence they could not judge too
        /// (`EvidenceGossip`), so in a connected grid it reaches every node.
        public var evidenceReach: EvidenceReach = .everyone
        /// Tasks (grid-wide) between a conviction and its evidence reaching others (D). Default 1,000.
        public var evidenceDelay = 1000
        /// Share of the honest and of the malicious nodes (never a bootstrap node) that join
        /// mid-run. Default 0.
        public var newcomerShare = 0.0
        /// The part of the run over which newcomers join, evenly spread. Default 0.2...0.6.
        public var newcomerWindow: ClosedRange<Double> = 0.2...0.6
        /// How many times a liar comes back under a fresh identity (K). Default 0.
        public var sybilIdentities = 0
        /// A liar comes back once this share of the requesters that know it have convicted it.
        /// Default 0.5.
        public var sybilRejoinShare = 0.5
        /// The last part of the run reported as the steady state. Default 0.2.
        public var steadyShare = 0.2
        public var seed: UInt64 = 1

        public init() {}

        public static let `default` = Settings()

        /// Tasks in the run.
        public var tasks: Int { nodes * tasksPerNode }
    }

    public let settings: Settings

    public init(settings: Settings) {
        self.settings = settings
    }

    /// Runs the simulation and reports what happened. `progress` is called every 10 % of the run
    /// with the tasks done.
    public func run(progress: ((Int) -> Void)? = nil) -> SimulationReport {
        var engine = SimulationEngine(settings: settings)
        return engine.run(progress: progress)
    }

    /// Runs the simulation on a thread of its own, as ``RoutingSimulation/runOnOwnThread()`` does:
    /// it is CPU-bound, and on the cooperative pool (two threads on two cores) it would stall the
    /// other tests meanwhile.
    public func runOnOwnThread() async -> SimulationReport {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: self.run()) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
