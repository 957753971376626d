/// The outcome of a `gridnode load` run, as `--json` writes it.
public struct LoadReport: Codable, Sendable, Equatable {
    /// `rate` (open loop) or `concurrency` (closed loop).
    public var mode: String
    /// Tasks per second asked for, in rate mode.
    public var rate: Double?
    /// Workers, in concurrency mode.
    public var concurrency: Int?
    /// The bound on tasks in flight in rate mode; due submissions beyond it were skipped.
    public var maxInFlight: Int?
    public var skill: String
    /// The node: its name in a cluster, or its data directory.
    public var node: String
    /// 0: each input was the text `load`; else this many random bytes.
    public var inputBytes: Int
    /// How long submissions were to go on.
    public var requestedDurationSeconds: Double
    /// Measured: from the first submission until the last task in flight ended, to the ms.
    public var durationSeconds: Double
    /// Tasks sent to the node.
    public var submitted: Int
    public var succeeded: Int
    /// Tasks sent that did not succeed.
    public var failed: Int
    /// Due submissions not sent because `maxInFlight` tasks were in flight (the node did not keep
    /// up); they are also in `errorsByReason` as `generator_backlog`.
    public var skipped: Int
    /// succeeded / durationSeconds, to 0.1.
    public var throughputPerSecond: Double
    /// The succeeded tasks' latencies, from submission (rate mode: from the instant the
    /// submission was due) to the result; nil when none succeeded.
    public var latencyUs: Latency?
    /// Failed tasks by reason (a TaskFailure code such as `timed_out`, an RPC error's reason, or
    /// `connection`), and `generator_backlog` for skipped submissions.
    public var errorsByReason: [String: Int]
    /// Whether each output was compared with the one known to be right (echo, sha256).
    public var checked: Bool
    /// Outputs that were wrong (a part of `failed`, as `wrong_output`); 0 when not checked.
    public var wrongOutputs: Int
    /// Why the run ended before its duration, when it did (the node went away).
    public var stoppedEarly: String?

    /// Latencies in whole microseconds: quantiles of nearest rank, from an HDR histogram at three
    /// significant digits (exact up to 2,047 µs, within 0.1 % above); min and max as measured.
    public struct Latency: Codable, Sendable, Equatable {
        public var min: UInt64
        public var p50: UInt64
        public var p90: UInt64
        public var p99: UInt64
        public var max: UInt64
        public var mean: UInt64

        public init(min: UInt64, p50: UInt64, p90: UInt64, p99: UInt64, max: UInt64, mean: UInt64) {
            self.min = min
            self.p50 = p50
            self.p90 = p90
            self.p99 = p99
            self.max = max
            self.mean = mean
        }
    }

    public init(
        plan: LoadPlan, skill: String, node: String, stats: LoadStats, elapsed: Duration, stoppedEarly: String? = nil, checked: Bool = false
    ) {
        self.checked = checked
        wrongOutputs = stats.wrong
        switch plan.mode {
        case .rate(let perSecond):
            mode = "rate"
            rate = perSecond
            maxInFlight = plan.maxInFlight
        case .concurrency(let workers):
            mode = "concurrency"
            concurrency = workers
        }
        self.skill = skill
        self.node = node
        inputBytes = plan.inputBytes
        requestedDurationSeconds = LoadPacer.seconds(plan.duration)
        let seconds = LoadPacer.seconds(elapsed)
        durationSeconds = (seconds * 1000).rounded() / 1000
        submitted = stats.submitted
        succeeded = stats.succeeded
        failed = stats.failed
        skipped = stats.skipped
        throughputPerSecond = seconds > 0 ? (Double(stats.succeeded) / seconds * 10).rounded() / 10 : 0
        latencyUs = stats.latencyUs
        errorsByReason = stats.errorsByReason
        self.stoppedEarly = stoppedEarly
    }
}
