/// When to check a remote result by running the task again here (idle validation): for a fraction
/// of the results, and only when this node has the skill and spare capacity, so checking never
/// delays work of its own.
public struct SpotCheckPolicy: Sendable, Equatable {
    /// Fraction of remote results checked, 0...1. Default 0.05 (one in twenty).
    public var fraction: Double

    public init(fraction: Double = 0.05) {
        self.fraction = min(max(fraction, 0), 1)
    }

    public static let `default` = SpotCheckPolicy()

    /// Whether to check this result. Draws from `rng` only when a check is possible, so the
    /// sequence of decisions does not depend on results that could not be checked.
    public func shouldCheck(hasSkill: Bool, spareCapacity: Bool, using rng: inout some RandomNumberGenerator) -> Bool {
        guard hasSkill, spareCapacity, fraction > 0 else { return false }
        return Double.random(in: 0..<1, using: &rng) < fraction
    }
}
