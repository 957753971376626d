/// Which remote results to check by running the task again here (idle validation): a random
/// fraction of them, and only for skills this node has. The shell runs a chosen check only when a
/// slot is free, so checking never delays work of its own (``maxPending`` bounds the backlog).
public struct SpotCheckPolicy: Sendable, Equatable {
    /// Fraction of remote results checked, 0...1. Default 0.05 (one in twenty).
    public var fraction: Double
    /// Checks waiting for a free slot at most; beyond it the oldest is dropped. Default 16.
    public var maxPending: Int

    public init(fraction: Double = 0.05, maxPending: Int = 16) {
        self.fraction = min(max(fraction, 0), 1)
        self.maxPending = max(maxPending, 1)
    }

    public static let `default` = SpotCheckPolicy()

    /// Whether to check this result. Draws from `rng` only when this node could check it, so the
    /// sequence of decisions does not depend on results of skills it lacks.
    public func shouldCheck(hasSkill: Bool, using rng: inout some RandomNumberGenerator) -> Bool {
        guard hasSkill, fraction > 0 else { return false }
        return Double.random(in: 0..<1, using: &rng) < fraction
    }
}
