import Histogram

/// An HDR histogram of latencies in microseconds (HdrHistogram's `Histogram`): 1 µs to 1 hour at
/// three significant digits, with the running sum beside it.
///
/// Three significant digits means values up to 2,047 µs are kept exactly and larger ones in
/// buckets at most 1/1024 of their value wide, so a quantile read back is within 0.1 % of a
/// recorded value. A latency is truncated to whole microseconds and clamped into the range: under
/// 1 µs counts as 1 µs, over an hour as an hour. The memory is fixed whatever is recorded: 23,552
/// counts of 8 bytes (about 190 KB).
struct LatencyHistogram: Sendable {
    /// The smallest value recorded as itself: 1 µs.
    static let lowestMicroseconds: UInt64 = 1
    /// The largest value recorded as itself: one hour, 3,600,000,000 µs.
    static let highestMicroseconds: UInt64 = 3_600_000_000

    private var histogram = Histogram<UInt64>(
        lowestDiscernibleValue: lowestMicroseconds, highestTrackableValue: highestMicroseconds,
        numberOfSignificantValueDigits: .three)
    private var sumMicroseconds: UInt64 = 0

    init() {}

    mutating func record(_ latency: Duration) {
        let microseconds = Self.microseconds(latency)
        histogram.record(microseconds)
        // An hour per sample: the sum cannot overflow before 5 billion samples; saturate beyond.
        let (sum, overflow) = sumMicroseconds.addingReportingOverflow(microseconds)
        sumMicroseconds = overflow ? .max : sum
    }

    /// What was recorded; nil before the first sample.
    var summary: LatencySummary? {
        guard histogram.totalCount > 0 else { return nil }
        return LatencySummary(
            count: histogram.totalCount,
            minUs: histogram.min,
            p50Us: histogram.valueAtPercentile(50),
            p95Us: histogram.valueAtPercentile(95),
            p99Us: histogram.valueAtPercentile(99),
            maxUs: histogram.maxRecorded,
            sumUs: sumMicroseconds)
    }

    /// The quantile at `percentile` (0-100), read as ``summary`` reads its own (for a p90 the
    /// summary has not); nil before the first sample.
    func microseconds(atPercentile percentile: Double) -> UInt64? {
        histogram.totalCount > 0 ? histogram.valueAtPercentile(percentile) : nil
    }

    /// `latency` in whole microseconds (truncated), clamped to the histogram's range.
    static func microseconds(_ latency: Duration) -> UInt64 {
        guard latency > .zero else { return lowestMicroseconds }
        guard latency < .microseconds(highestMicroseconds) else { return highestMicroseconds }
        let (seconds, attoseconds) = latency.components
        let microseconds = UInt64(seconds) * 1_000_000 + UInt64(attoseconds / 1_000_000_000_000)
        return max(microseconds, lowestMicroseconds)
    }
}

/// The two histograms kept for the node and for each skill with histograms of its own.
struct LatencyPair: Sendable {
    var execution = LatencyHistogram()
    var endToEnd = LatencyHistogram()

    var summaries: LatencySummaries {
        LatencySummaries(execution: execution.summary, endToEnd: endToEnd.summary)
    }
}
