/// The quorum of a task whose result is compared across runs (BOINC-style): the same task runs on
/// distinct nodes, and the output that enough of them agree on — by the digest of its output — is
/// accepted. A disagreement is settled by further runs (tie-breakers), within a bound.
///
/// Rules (docs/ROUTING.md, section 5):
/// - a digest is **accepted** once at least ``quorum`` runs produced it and more runs produced it
///   than any other digest; the runs that produced another one are the **dissenting** (convicted
///   by the shell when the skill is deterministic);
/// - while runs are still out, the vote waits; when all have answered without a decision, it asks
///   for **one more run** (``Decision/needsRun``) as long as ``maxRuns`` allows and a digest could
///   still reach the quorum with the runs left;
/// - otherwise there is **no majority**.
/// - A **trusted** voter (the node that runs the vote, when it ran the task itself) settles it at
///   once: its own computation is what it trusts most, so its digest is accepted as soon as it
///   votes, and every other digest dissents.
/// - **Anchors** are voters with standing at the node that runs the vote (a pinned peer, or a
///   provider with enough results confirmed by anchored votes, ``VerificationPolicy``). An
///   agreement with an anchor in it is **anchored**; agreement among nodes without standing — two
///   colluders, say — proves less:
///   - when exactly one digest has anchors and it has the quorum, it is accepted, whatever the
///     other digests' counts (anchored agreement outweighs an unanchored crowd);
///   - a digest without anchors is never accepted over a digest with one: while more runs may
///     come the vote waits or asks for one, else there is no majority;
///   - while ``seeksAnchor`` is set, an unanchored majority is not accepted yet: the vote asks for
///     one more run (which the shell gives an anchor) as long as ``maxRuns`` allows. The shell
///     clears it when no anchor is left to ask; an unanchored majority is then accepted
///     (``isAnchored(_:)`` says which it was).
///   - Only an anchored agreement convicts and confirms (``settles(_:)``), unless the node has no
///     anchor for the skill at all (``anchorsExist``).
///
/// Only successful results vote; a failed run counts as an answer with no digest. With `replicas`
/// K the quorum is a strict majority of K (⌊K/2⌋ + 1), and at least 2 for a verified task: one run
/// alone never convicts another.
public struct ResultVote: Sendable, Equatable {
    public enum Decision: Sendable, Equatable {
        /// Not decided yet: more runs must answer.
        case pending
        /// `digest` is accepted: `agreeing` produced it, `dissenting` produced another.
        case accepted(digest: [UInt8], agreeing: [NodeID], dissenting: [NodeID])
        /// Every run answered and none is accepted: start one more (a tie-breaker) on a node that
        /// has not run the task yet, then ``addRun()``.
        case needsRun
        /// No digest can be accepted any more.
        case noMajority(votes: [[UInt8]: [NodeID]], failed: [NodeID])
    }

    /// Runs whose outputs agree that a digest needs.
    public let quorum: Int
    /// Runs started or planned so far: the task's replicas, its check, and its tie-breakers.
    public private(set) var runs: Int
    /// Most runs the vote may ask for.
    public let maxRuns: Int
    public private(set) var votes: [[UInt8]: [NodeID]] = [:]
    public private(set) var failed: [NodeID] = []
    /// Runs that failed without any node having run them (every candidate refused, say).
    public private(set) var unassignedFailures = 0
    /// The voter whose digest is accepted as soon as it votes.
    public let trusted: NodeID?
    /// Voters with standing: an agreement they are in is anchored. The shell adds a voter here
    /// before or as it votes (``add(_:digest:anchor:)``).
    public var anchors: Set<NodeID> = []
    /// Whether an unanchored majority should wait for one more run, on an anchor. Default false;
    /// the shell sets it while an anchor that has not run the task could.
    public var seeksAnchor = false
    /// Whether the node has any anchor for the skill (free or busy): an unanchored agreement then
    /// proves too little to convict or confirm. Default false (a strict majority is all there
    /// is); the shell sets it when it sees one.
    public var anchorsExist = false

    /// A vote over `runs` runs needing `quorum` agreeing ones, that may grow to `maxRuns`.
    public init(runs: Int, quorum: Int, maxRuns: Int, trusted: NodeID? = nil) {
        precondition(runs >= 1 && quorum >= 1, "at least one run and a quorum")
        self.runs = runs
        self.quorum = quorum
        self.maxRuns = max(maxRuns, runs)
        self.trusted = trusted
    }

    /// The vote of a task with `replicas` runs (a strict majority of them agreeing; at least two
    /// when `verified`), with up to `tieBreakers` more runs to settle a disagreement.
    public init(replicas: Int, verified: Bool = false, tieBreakers: Int = 0, trusted: NodeID? = nil) {
        let majority = replicas / 2 + 1
        self.init(
            runs: replicas, quorum: verified ? max(majority, 2) : majority, maxRuns: replicas + max(tieBreakers, 0), trusted: trusted)
    }

    /// The vote that checks one delivered result: its run and one more must agree.
    public static func check(tieBreakers: Int, trusted: NodeID? = nil) -> ResultVote {
        ResultVote(runs: 2, quorum: 2, maxRuns: 2 + max(tieBreakers, 0), trusted: trusted)
    }

    /// Runs that answered, successfully or not.
    public var answered: Int { votes.values.reduce(0) { $0 + $1.count } + failed.count + unassignedFailures }
    /// Runs started but not answered yet.
    public var outstanding: Int { max(runs - answered, 0) }

    /// `node`'s run produced output with `digest`; `anchor` when `node` has standing. A node votes
    /// once; later votes are ignored.
    public mutating func add(_ node: NodeID, digest: [UInt8], anchor: Bool = false) -> Decision {
        guard !hasAnswered(node), answered < runs else { return decision }
        votes[digest, default: []].append(node)
        if anchor { anchors.insert(node) }
        return decision
    }

    /// Whether accepting `digest` convicts the dissenting runs and confirms the agreeing ones
    /// (counts towards their standing): when it is anchored, or when the node has no anchor for
    /// the skill at all (a strict majority is all it has). Where anchors exist, an unanchored
    /// majority — two colluders against an honest node, say — convicts and confirms nobody, so
    /// standing grows only outwards from this node and its pinned peers.
    public func settles(_ digest: [UInt8]) -> Bool {
        isAnchored(digest) || !anchorsExist
    }

    /// Whether the runs that produced `digest` include the trusted voter or an anchor.
    public func isAnchored(_ digest: [UInt8]) -> Bool {
        votes[digest]?.contains { $0 == trusted || anchors.contains($0) } ?? false
    }

    /// `node`'s run failed; nil when no node ran it at all.
    public mutating func addFailure(_ node: NodeID?) -> Decision {
        guard answered < runs else { return decision }
        guard let node else {
            unassignedFailures += 1
            return decision
        }
        guard !hasAnswered(node) else { return decision }
        failed.append(node)
        return decision
    }

    /// The shell started the run that ``Decision/needsRun`` asked for.
    public mutating func addRun() {
        precondition(runs < maxRuns, "the vote asked for no more runs")
        runs += 1
    }

    public var decision: Decision {
        if let trusted, let (digest, agreeing) = votes.first(where: { $0.value.contains(trusted) }) {
            return accept(digest, agreeing)
        }
        let anchored = votes.filter { isAnchored($0.key) }
        if anchored.count == 1, let (digest, agreeing) = anchored.first, agreeing.count >= quorum {
            return accept(digest, agreeing)
        }
        let ranked = votes.sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key.lexicographicallyPrecedes($1.key) }
        let best = ranked.first?.value.count ?? 0
        let second = ranked.dropFirst().first?.value.count ?? 0
        let more = outstanding + (maxRuns - runs)
        if let (digest, agreeing) = ranked.first, best >= quorum, best > second {
            if isAnchored(digest) { return accept(digest, agreeing) }
            // Unanchored: never over an anchored dissent, and not while an anchor may still vote.
            if anchored.isEmpty, !seeksAnchor || more == 0 { return accept(digest, agreeing) }
            guard more > 0 else { return .noMajority(votes: votes, failed: failed) }
            return outstanding > 0 ? .pending : .needsRun
        }
        // Could any digest still be accepted with the runs out and those the bound allows?
        let reachable = best + more
        guard reachable >= quorum, reachable > second else { return .noMajority(votes: votes, failed: failed) }
        return outstanding > 0 ? .pending : .needsRun
    }

    private func accept(_ digest: [UInt8], _ agreeing: [NodeID]) -> Decision {
        let dissenting = votes.filter { $0.key != digest }.values.flatMap { $0 }.sorted()
        return .accepted(digest: digest, agreeing: agreeing, dissenting: dissenting)
    }

    /// Nodes that ran the task, whatever their answer.
    public var voters: Set<NodeID> { Set(votes.values.flatMap { $0 } + failed) }

    private func hasAnswered(_ node: NodeID) -> Bool {
        failed.contains(node) || votes.values.contains { $0.contains(node) }
    }
}
