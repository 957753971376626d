/// Exponential backoff with full jitter: attempt n waits a uniformly random time in
/// [0, min(cap, base · 2ⁿ)], so many nodes retrying at once spread out instead of retrying together.
public struct ExponentialBackoff: Sendable, Equatable, Codable {
    public var base: Duration
    public var cap: Duration

    public init(base: Duration, cap: Duration) {
        precondition(base > .zero && cap >= base, "backoff needs 0 < base <= cap")
        self.base = base
        self.cap = cap
    }

    /// The upper bound of the wait before attempt `attempt` (0-based).
    public func ceiling(attempt: Int) -> Duration {
        let shift = min(max(attempt, 0), 62)
        let baseNanos = base.nanoseconds
        let capNanos = cap.nanoseconds
        let (scaled, overflow) = baseNanos.multipliedReportingOverflow(by: Int64(1) << shift)
        return .nanoseconds(overflow ? capNanos : min(scaled, capNanos))
    }

    /// The wait before attempt `attempt`, drawn with `rng`.
    public func delay(attempt: Int, using rng: inout some RandomNumberGenerator) -> Duration {
        .nanoseconds(Int64.random(in: 0...ceiling(attempt: attempt).nanoseconds, using: &rng))
    }
}

extension Duration {
    /// Whole nanoseconds (saturating), for arithmetic on bounded settings.
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (seconds < 0 ? .min : .max) : scaled + attoseconds / 1_000_000_000
    }

    /// Whole milliseconds (saturating).
    public var milliseconds: Int64 { nanoseconds / 1_000_000 }
}
