/// A rate limit: up to `burst` events at once, refilled at `ratePerSecond`.
public struct TokenBucket: Sendable {
    public let ratePerSecond: Double
    public let burst: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant?

    public init(ratePerSecond: Double, burst: Double) {
        precondition(ratePerSecond > 0 && burst >= 1, "a bucket refills and holds at least one token")
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        tokens = burst
    }

    /// Takes one token if there is one. False means the event is over the limit.
    public mutating func take(now: ContinuousClock.Instant) -> Bool {
        if let last {
            let elapsed = Double(last.duration(to: now).nanoseconds) / 1e9
            tokens = min(burst, tokens + max(0, elapsed) * ratePerSecond)
        }
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
