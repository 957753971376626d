/// What one `gridnode load` run does, checked: open loop at a rate, or closed loop with a number
/// of workers, for a duration, with inputs of a size.
public struct LoadPlan: Sendable, Equatable {
    /// Open loop: submissions are due at a fixed rate whatever the node does. Closed loop: each
    /// worker submits, waits for the result, and submits again.
    public enum Mode: Sendable, Equatable {
        case rate(perSecond: Double)
        case concurrency(Int)
    }

    public var mode: Mode
    /// How long submissions go on; tasks still in flight at the end are waited for.
    public var duration: Duration
    /// 0: every task's input is the text `load`; else this many random bytes.
    public var inputBytes: Int
    /// Most tasks in flight at once. Rate mode skips a due submission beyond it (counted as
    /// ``LoadStats/generatorBacklog``); concurrency mode has exactly its workers in flight.
    public var maxInFlight: Int

    /// Rate mode's bound on tasks in flight: 1024.
    public static let defaultMaxInFlight = 1024
    /// The largest input: 1 MiB, a node's default `maxTaskBytes`.
    public static let maxInputBytes = 1 << 20
    /// The most workers, and the largest `maxInFlight`: 4096 (64 local API connections of 64 requests).
    public static let maxConcurrency = 4096
    /// The highest rate: 100,000 tasks per second.
    public static let maxRate = 100_000.0

    /// Exactly one of `rate` and `concurrency`; `maxInFlight` only with a rate.
    public init(rate: Double?, concurrency: Int?, duration: Duration, inputBytes: Int = 0, maxInFlight: Int? = nil) throws(GridError) {
        switch (rate, concurrency) {
        case (nil, nil):
            throw GridError(.invalidArgument, "give --rate R (tasks per second, open loop) or --concurrency C (C workers, closed loop)")
        case (_?, _?):
            throw GridError(.invalidArgument, "give --rate or --concurrency, not both: --rate submits at a fixed pace, --concurrency keeps C tasks in flight")
        case (let rate?, nil):
            guard rate > 0, rate <= Self.maxRate else {
                throw GridError(.invalidArgument, "--rate must be more than 0 and at most \(Int(Self.maxRate)) tasks per second; got \(rate)")
            }
            let bound = maxInFlight ?? Self.defaultMaxInFlight
            guard (1...Self.maxConcurrency).contains(bound) else {
                throw GridError(.invalidArgument, "--max-in-flight must be 1-\(Self.maxConcurrency); got \(bound)")
            }
            mode = .rate(perSecond: rate)
            self.maxInFlight = bound
        case (nil, let workers?):
            guard (1...Self.maxConcurrency).contains(workers) else {
                throw GridError(.invalidArgument, "--concurrency must be 1-\(Self.maxConcurrency); got \(workers)")
            }
            guard maxInFlight == nil else {
                throw GridError(.invalidArgument, "--max-in-flight goes with --rate; with --concurrency C there are always C tasks in flight")
            }
            mode = .concurrency(workers)
            self.maxInFlight = workers
        }
        guard (0...Self.maxInputBytes).contains(inputBytes) else {
            throw GridError(.invalidArgument, "--input-bytes must be 0-\(Self.maxInputBytes) (1 MiB, a node's maxTaskBytes); got \(inputBytes)")
        }
        guard duration > .zero, duration <= LoadDuration.maximum else {
            throw GridError(.invalidArgument, "--duration must be more than 0 and at most 24h")
        }
        self.duration = duration
        self.inputBytes = inputBytes
    }
}
