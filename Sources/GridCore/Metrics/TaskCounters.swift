/// How many tasks went through each step, for the whole node or for one skill.
///
/// Counts are of tasks submitted at this node (the requester's view): tasks this node runs for a
/// peer are not in them. docs/METRICS.md says exactly when each one moves.
public struct TaskCounters: Codable, Sendable, Equatable {
    /// Tasks accepted from an application.
    public var submitted: UInt64 = 0
    /// Tasks that ended with the skill's output.
    public var completed: UInt64 = 0
    /// Tasks that ended without output, for any reason (``timedOut`` included).
    public var failed: UInt64 = 0
    /// The failed tasks whose reason was ``TaskFailure/Code/timedOut`` (a part of ``failed``).
    public var timedOut: UInt64 = 0
    /// Attempts that failed and were tried again (one per retry).
    public var retried: UInt64 = 0
    /// Attempts a peer refused (a rejected TaskAck).
    public var refused: UInt64 = 0
    /// Attempts run on this node's own executor.
    public var executedLocally: UInt64 = 0
    /// Attempts sent to a peer (one per TaskRequest).
    public var delegated: UInt64 = 0
    /// Delivered results checked by one more run on another node (sampled verification).
    public var verified: UInt64 = 0
    /// Runs started to settle a disagreement between a task's runs.
    public var tieBreakers: UInt64 = 0
    /// Providers convicted of a wrong result by this node's own runs (one per provider and task).
    public var convictions: UInt64 = 0
    /// Delivered results that a check then proved wrong (the application got a wrong output).
    public var contradicted: UInt64 = 0

    public init(
        submitted: UInt64 = 0, completed: UInt64 = 0, failed: UInt64 = 0, timedOut: UInt64 = 0, retried: UInt64 = 0,
        refused: UInt64 = 0, executedLocally: UInt64 = 0, delegated: UInt64 = 0, verified: UInt64 = 0, tieBreakers: UInt64 = 0,
        convictions: UInt64 = 0, contradicted: UInt64 = 0
    ) {
        self.verified = verified
        self.tieBreakers = tieBreakers
        self.convictions = convictions
        self.contradicted = contradicted
        self.submitted = submitted
        self.completed = completed
        self.failed = failed
        self.timedOut = timedOut
        self.retried = retried
        self.refused = refused
        self.executedLocally = executedLocally
        self.delegated = delegated
    }
}

/// How the attempts this node gave one peer went (or, in ``MetricsSnapshot/otherPeers``, the
/// peers without an entry of their own).
public struct PeerTaskCounters: Codable, Sendable, Equatable {
    /// Attempts sent to the peer (one per TaskRequest).
    public var delegated: UInt64 = 0
    /// Attempts the peer refused.
    public var refused: UInt64 = 0
    /// Attempts on the peer that failed and were tried again (on it or elsewhere).
    public var retried: UInt64 = 0
    /// Tasks the peer completed.
    public var completed: UInt64 = 0
    /// Tasks that failed for good with the peer as their last executor (``timedOut`` included).
    public var failed: UInt64 = 0
    /// The failed tasks whose reason was ``TaskFailure/Code/timedOut`` (a part of ``failed``).
    public var timedOut: UInt64 = 0

    public init(
        delegated: UInt64 = 0, refused: UInt64 = 0, retried: UInt64 = 0, completed: UInt64 = 0, failed: UInt64 = 0,
        timedOut: UInt64 = 0
    ) {
        self.delegated = delegated
        self.refused = refused
        self.retried = retried
        self.completed = completed
        self.failed = failed
        self.timedOut = timedOut
    }
}
