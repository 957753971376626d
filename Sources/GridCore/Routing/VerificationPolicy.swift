/// Which results to verify by running the task once more on another node (adaptive replication,
/// in the spirit of BOINC's): a provider is checked often while it is new or little known, and
/// more rarely the more of its results have been confirmed, down to a floor that never reaches
/// zero, so a long-trusted provider that turns liar is still caught.
///
/// The chance that a result of a (provider, skill) with `verified` confirmed results is checked:
///
///     p(verified) = 1                                       while verified < probation
///                 = max(floor, probation / (verified + 1))  after
///
/// With the defaults (probation 3, floor 0.05) a provider's first three results are all checked,
/// its 10th about one in three, its 30th one in ten, and from its 60th confirmed result on one in
/// twenty: the first ~600 tasks of a provider cost about 10 % extra work, and the steady state 5 %.
/// Only deterministic skills are verified (the same input gives the same output on every honest
/// node); a non-deterministic one is never checked nor convicted.
///
/// **Probation.** A result of a provider still on probation (fewer than `probation` confirmed
/// results here, so it is checked for certain) is held until its check settles, and the output
/// the vote accepts is delivered (``holdsResult(verified:deterministic:mode:)``): a new liar's
/// first answers never reach the application.
///
/// **Standing.** An *anchored* agreement (``ResultVote``) is one that this node itself, a pinned
/// peer or a provider with standing — at least `probation` results confirmed here by anchored
/// votes — took part in. Any agreement counts towards `verified` (the chance of a check, and the
/// end of probation); only an anchored one counts towards standing, convicts, and is evidence
/// that others can weigh. Two nodes without standing that agree (two colluders) may check each
/// other less, but never gain standing, so it grows only outwards from this node and its pinned
/// peers. Checks and tie-breakers go to nodes with standing first
/// (``verifierOrder(ranked:verified:trusted:anchors:)``, given the anchored counts).
public struct VerificationPolicy: Sendable, Equatable {
    /// Confirmed results before a provider is checked less than always. Default 3.
    public var probation: Int
    /// Least share of results checked, however long a provider's record. 0...1, default 0.05.
    public var floor: Double
    /// Runs a task may take beyond its replicas and its check, to settle a disagreement
    /// (tie-breakers). Default 2.
    public var maxTieBreakers: Int
    /// Whether a result of a provider on probation waits for its check in `sample` mode. Default
    /// true.
    public var holdOnProbation: Bool

    public init(probation: Int = 3, floor: Double = 0.05, maxTieBreakers: Int = 2, holdOnProbation: Bool = true) {
        self.probation = max(probation, 0)
        self.floor = min(max(floor, 0), 1)
        self.maxTieBreakers = max(maxTieBreakers, 0)
        self.holdOnProbation = holdOnProbation
    }

    public static let `default` = VerificationPolicy()

    /// The chance that a result of a provider with `verified` confirmed results is checked.
    public func probability(verified: Int) -> Double {
        guard verified >= probation else { return 1 }
        return max(floor, min(1, Double(probation) / Double(verified + 1)))
    }

    /// Whether to check a result of a provider with `verified` confirmed results, for a task
    /// submitted with `mode`. Draws from `rng` only when the answer is not certain, so a run of
    /// decisions is reproducible under a seeded generator.
    public func shouldVerify(
        verified: Int, deterministic: Bool, mode: VerifyMode, using rng: inout some RandomNumberGenerator
    ) -> Bool {
        guard deterministic, mode != .off else { return false }
        if mode == .strict { return true }
        let p = probability(verified: verified)
        if p >= 1 { return true }
        if p <= 0 { return false }
        return Double.random(in: 0..<1, using: &rng) < p
    }

    /// Whether a delivered result of a provider with `verified` confirmed results waits for its
    /// check: in `sample` mode, while the provider is on probation (its result is checked for
    /// certain then). `strict` holds every result anyway; `off` checks nothing.
    public func holdsResult(verified: Int, deterministic: Bool, mode: VerifyMode) -> Bool {
        holdOnProbation && deterministic && mode == .sample && verified < probation
    }

    /// Whether a provider with `anchored` results confirmed here by anchored votes has standing:
    /// its agreement anchors a vote. A pinned peer always has.
    public func hasStanding(anchored: Int, pinned: Bool = false) -> Bool {
        pinned || anchored >= max(probation, 1)
    }

    /// The order in which to ask nodes for an extra run (a check or a tie-breaker): `trusted`
    /// (this node) whenever it can run the task, then the `anchors` (nodes with standing), then
    /// those with the most confirmed results in `verified` (the shell passes the anchored counts:
    /// a verifier is only as good as its own record, and colluders that confirmed each other
    /// should not decide a vote), and among equals the router's order. `ranked` is the router's
    /// ranking, less the nodes that ran the task already.
    public func verifierOrder(
        ranked: [NodeID], verified: [NodeID: Int], trusted: NodeID? = nil, anchors: Set<NodeID> = []
    ) -> [NodeID] {
        ranked.enumerated().sorted { a, b in
            if (a.element == trusted) != (b.element == trusted) { return a.element == trusted }
            let (aa, ab) = (anchors.contains(a.element), anchors.contains(b.element))
            if aa != ab { return aa }
            let (va, vb) = (verified[a.element, default: 0], verified[b.element, default: 0])
            return va != vb ? va > vb : a.offset < b.offset
        }.map(\.element)
    }
}

/// How much verification an application asks for a task.
public enum VerifyMode: String, Sendable, CaseIterable, Codable {
    /// The node checks a share of results (``VerificationPolicy``) after delivering them: a wrong
    /// one convicts its provider, but the application may already hold it.
    case sample
    /// No result is delivered before a second, independent run agrees with it (at least two
    /// replicas), at the cost of the slower run's latency and one more run per task.
    case strict
    /// No checks beyond the task's replicas.
    case off
}
