/// How often routing gives a task to a little-known provider instead of the best-ranked one, so
/// that routing never locks onto the first provider that succeeds: an honest newcomer is found,
/// and a liar cannot capture a skill by being first (its results are then verified, see
/// ``VerificationPolicy``).
///
/// A credit grows by ``share`` with every routing decision, up to 1; a decision explores when the
/// credit is full, and exploring spends it (``explored()``). So at most `share` of the decisions
/// go to novices, deterministically — every ⌈1/share⌉-th one while there is a novice to try — and
/// none is spent while there is none.
public struct ExplorationBudget: Sendable, Equatable {
    /// Share of routing decisions that may go to a novice, 0...1. Default 0.02 (docs/ROUTING.md,
    /// section 4, says what a larger share costs in checks).
    public let share: Double
    public private(set) var credit: Double = 0

    public init(share: Double = 0.02) {
        self.share = min(max(share, 0), 1)
    }

    /// Whether the next decision should explore (adds this decision's share to the credit).
    public mutating func next() -> Bool {
        guard share > 0 else { return false }
        credit = min(credit + share, 1)
        return credit >= 1 - 1e-9
    }

    /// The decision did go to a novice: the credit is spent.
    public mutating func explored() {
        credit = 0
    }
}
