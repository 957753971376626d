/// The outcomes of a load run's tasks so far: counts, failures by reason, and the latencies of
/// the tasks that succeeded (an HDR histogram: values up to 2,047 µs exact, larger ones within
/// 0.1 %; ``LatencyHistogram``).
public struct LoadStats: Sendable {
    /// The reason of a due submission skipped because `maxInFlight` tasks were in flight.
    public static let generatorBacklog = "generator_backlog"
    /// The reason of a task whose connection to the node failed before it was answered.
    public static let connection = "connection"
    /// The reason of a task the node answered with an output other than the one known to be right.
    public static let wrongOutput = "wrong_output"
    /// The reason the failures of reasons beyond ``maxReasons`` are counted under.
    public static let otherReasons = "other"
    /// Distinct failure reasons counted by name: 32; more are counted as ``otherReasons``.
    public static let maxReasons = 32

    /// Tasks sent to the node.
    public private(set) var submitted = 0
    public private(set) var succeeded = 0
    /// Tasks sent that did not succeed (skipped submissions are not among them).
    public private(set) var failed = 0
    /// Tasks answered with a wrong output (``wrongOutput``): a part of ``failed``.
    public private(set) var wrong = 0
    /// Due submissions not sent (``generatorBacklog``).
    public private(set) var skipped = 0
    /// Failed tasks by reason, and skipped submissions under ``generatorBacklog``.
    public private(set) var errorsByReason: [String: Int] = [:]
    private var latency = LatencyHistogram()

    public init() {}

    /// Sent and not answered yet.
    public var inFlight: Int { submitted - succeeded - failed }

    public mutating func recordSubmitted() {
        submitted += 1
    }

    public mutating func recordSuccess(latency: Duration) {
        succeeded += 1
        self.latency.record(latency)
    }

    /// A submitted task that failed: its TaskFailure code, an RPC error's reason, or ``connection``.
    public mutating func recordFailure(reason: String) {
        failed += 1
        count(reason)
    }

    /// A task the node answered as succeeded, with a wrong output: the application got a wrong result.
    public mutating func recordWrong() {
        wrong += 1
        recordFailure(reason: Self.wrongOutput)
    }

    public mutating func recordSkipped(_ submissions: Int) {
        guard submissions > 0 else { return }
        skipped += submissions
        count(Self.generatorBacklog, submissions)
    }

    private mutating func count(_ reason: String, _ n: Int = 1) {
        let key = errorsByReason[reason] != nil || errorsByReason.count < Self.maxReasons ? reason : Self.otherReasons
        errorsByReason[key, default: 0] += n
    }

    /// The succeeded tasks' latencies; nil before the first.
    public var latencyUs: LoadReport.Latency? {
        guard let summary = latency.summary, let p90 = latency.microseconds(atPercentile: 90) else { return nil }
        let mean = (Double(summary.sumUs) / Double(summary.count)).rounded()
        return LoadReport.Latency(
            min: summary.minUs, p50: summary.p50Us, p90: p90, p99: summary.p99Us, max: summary.maxUs, mean: UInt64(mean))
    }
}
