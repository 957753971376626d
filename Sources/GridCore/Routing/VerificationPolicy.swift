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
public struct VerificationPolicy: Sendable, Equatable {
    /// Confirmed results before a provider is checked less than always. Default 3.
    public var probation: Int
    /// Least share of results checked, however long a provider's record. 0...1, default 0.05.
    public var floor: Double
    /// Runs a task may take beyond its replicas and its check, to settle a disagreement
    /// (tie-breakers). Default 2.
    public var maxTieBreakers: Int

    public init(probation: Int = 3, floor: Double = 0.05, maxTieBreakers: Int = 2) {
        self.probation = max(probation, 0)
        self.floor = min(max(floor, 0), 1)
        self.maxTieBreakers = max(maxTieBreakers, 0)
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

    /// The order in which to ask nodes for an extra run (a check or a tie-breaker): those with the
    /// most confirmed results first — a verifier is only as good as its own record, and a
    /// colluder that has never been checked should not decide a vote — and among equals the
    /// router's order. `ranked` is the router's ranking, less the nodes that ran the task already;
    /// `trusted` (this node) comes first whenever it can run the task.
    public func verifierOrder(ranked: [NodeID], verified: [NodeID: Int], trusted: NodeID? = nil) -> [NodeID] {
        ranked.enumerated().sorted { a, b in
            if (a.element == trusted) != (b.element == trusted) { return a.element == trusted }
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
