/// The distribution of one kind of latency, in whole microseconds, read from a
/// ``LatencyHistogram``.
///
/// ``minUs`` and ``maxUs`` are exact (as recorded, after clamping to the histogram's range). A
/// quantile is the recorded value of nearest rank (the smallest value with at least that fraction
/// of the samples at or below it) rounded up to the top of its histogram bucket, so it is at most
/// 1/1024 (under 0.1 %) above the exact value, and never below ``minUs`` or above ``maxUs``.
public struct LatencySummary: Codable, Sendable, Equatable {
    /// Samples recorded.
    public var count: UInt64
    public var minUs: UInt64
    public var p50Us: UInt64
    public var p95Us: UInt64
    public var p99Us: UInt64
    public var maxUs: UInt64
    /// The sum of the samples (as recorded, after clamping), for a mean or Prometheus's `_sum`.
    public var sumUs: UInt64

    public init(count: UInt64, minUs: UInt64, p50Us: UInt64, p95Us: UInt64, p99Us: UInt64, maxUs: UInt64, sumUs: UInt64) {
        self.count = count
        self.minUs = minUs
        self.p50Us = p50Us
        self.p95Us = p95Us
        self.p99Us = p99Us
        self.maxUs = maxUs
        self.sumUs = sumUs
    }
}

/// Execution and end-to-end latency side by side; either is nil before its first sample.
public struct LatencySummaries: Codable, Sendable, Equatable {
    /// How long the work itself ran, on whichever node ran it (successful tasks only).
    public var execution: LatencySummary?
    /// From submission to the task's end, retries and waiting included (every task that ended).
    public var endToEnd: LatencySummary?

    public init(execution: LatencySummary? = nil, endToEnd: LatencySummary? = nil) {
        self.execution = execution
        self.endToEnd = endToEnd
    }
}
