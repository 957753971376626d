/// When and how a task is tried again after an attempt fails (docs/TASKS.md).
///
/// A refusal, an ack that does not come within the ack timeout, a lost connection or a failure the
/// executor reports as its own (`internal`) is retried, after a backoff with full jitter, on the
/// best candidate that has not failed the task yet; only when none is left does a retry go back to
/// one that has. An application error (the skill ran and said no) is final unless the task asks
/// for retries of those too. At most ``maxRetries`` retries are made, all within the task's one
/// deadline.
public struct RetryPolicy: Sendable, Equatable {
    /// Retries after the first attempt. Default 3 (so at most 4 attempts).
    public var maxRetries: Int
    /// Wait before retry n (0-based): uniform in [0, min(cap, base · 2ⁿ)]. Default base 50 ms,
    /// cap 2 s.
    public var backoff: ExponentialBackoff
    /// How long a peer has to ack a request before the attempt counts as failed. Default 2 s.
    /// A shell may give each peer its own (from observed latency) in ``DelegationMachine/routed(_:now:)``.
    public var ackTimeout: Duration

    public init(maxRetries: Int = 3, backoff: ExponentialBackoff = .init(base: .milliseconds(50), cap: .seconds(2)), ackTimeout: Duration = .seconds(2)) {
        precondition(maxRetries >= 0 && ackTimeout > .zero, "retries and an ack timeout")
        self.maxRetries = maxRetries
        self.backoff = backoff
        self.ackTimeout = ackTimeout
    }

    public static let `default` = RetryPolicy()
}
