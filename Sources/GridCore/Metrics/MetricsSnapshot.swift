/// ``NodeMetrics`` at one moment, in plain values: what the node writes as JSON (`gridnode
/// metrics --json`) and what ``PrometheusText`` renders.
///
/// Built for stable, readable JSON: no dictionaries, and every list sorted (skills by name, peers
/// by node ID, reasons by code); peers are the 64 hex digits of their node ID, priorities and
/// failure reasons their names, latencies whole microseconds, and no value is NaN or infinite, so
/// encoding cannot fail. An optional that is nil is left out. Encode with `.sortedKeys` (and
/// `.prettyPrinted` for people): Foundation's `JSONEncoder` on Linux does not keep the fields'
/// declaration order, so without it the order of keys changes from run to run.
/// docs/METRICS.md describes each field.
public struct MetricsSnapshot: Codable, Sendable, Equatable {
    /// How long the node has run, in milliseconds, when the shell gave it.
    public var uptimeMs: Int64?
    /// The node's totals.
    public var tasks: TaskCounters
    /// Failed tasks by reason: only reasons seen, sorted by code. They add up to `tasks.failed`.
    public var failedByReason: [FailureCount]
    /// completed / (completed + failed), 0 to 1; nil before any task ended.
    public var successRate: Double?
    /// The node's latencies.
    public var latency: LatencySummaries
    /// Counters of the skills with an entry of their own (``MetricsSettings/maxSkills``), by name.
    public var skills: [Skill]
    /// Counters of all skills without an entry of their own; nil when there were none.
    public var otherSkills: TaskCounters?
    /// Latencies of the skills with histograms of their own (``MetricsSettings/maxSkillLatencies``),
    /// by name.
    public var skillLatency: [SkillLatency]
    /// Latencies of all skills without histograms of their own; nil when there were none.
    public var otherSkillLatency: LatencySummaries?
    /// Counters of the peers with an entry of their own (``MetricsSettings/maxPeers``), by node ID.
    public var peers: [Peer]
    /// Counters of all peers without an entry of their own; nil when there were none.
    public var otherPeers: PeerTaskCounters?
    /// Tasks waiting in this node's queue, per priority class, as last set.
    public var queueDepth: QueueDepth
    /// This node's tasks each peer holds, as last set (up to ``MetricsSettings/maxPeers`` peers,
    /// those holding the most), by node ID.
    public var inFlight: [InFlight]
    /// Tasks held by the peers left out of ``inFlight``; nil when none was left out.
    public var otherInFlight: Int?

    /// Failed tasks with one reason.
    public struct FailureCount: Codable, Sendable, Equatable {
        /// A ``TaskFailure/Code`` raw value, such as `timed_out`.
        public var reason: String
        public var count: UInt64

        public init(reason: String, count: UInt64) {
            self.reason = reason
            self.count = count
        }
    }

    /// One skill's counters.
    public struct Skill: Codable, Sendable, Equatable {
        public var skill: String
        public var tasks: TaskCounters

        public init(skill: String, tasks: TaskCounters) {
            self.skill = skill
            self.tasks = tasks
        }
    }

    /// One skill's latencies.
    public struct SkillLatency: Codable, Sendable, Equatable {
        public var skill: String
        public var latency: LatencySummaries

        public init(skill: String, latency: LatencySummaries) {
            self.skill = skill
            self.latency = latency
        }
    }

    /// One peer's counters.
    public struct Peer: Codable, Sendable, Equatable {
        /// The peer's node ID, 64 hex digits.
        public var peer: String
        public var tasks: PeerTaskCounters

        public init(peer: String, tasks: PeerTaskCounters) {
            self.peer = peer
            self.tasks = tasks
        }
    }

    /// The tasks one peer holds.
    public struct InFlight: Codable, Sendable, Equatable {
        /// The peer's node ID, 64 hex digits.
        public var peer: String
        public var tasks: Int

        public init(peer: String, tasks: Int) {
            self.peer = peer
            self.tasks = tasks
        }
    }

    /// Queue depth per priority class (``TaskPriority``), named as in settings.
    public struct QueueDepth: Codable, Sendable, Equatable {
        public var low: Int
        public var normal: Int
        public var high: Int
        public var critical: Int

        public init(low: Int = 0, normal: Int = 0, high: Int = 0, critical: Int = 0) {
            self.low = low
            self.normal = normal
            self.high = high
            self.critical = critical
        }

        /// The depth of `priority`'s class.
        public subscript(priority: TaskPriority) -> Int {
            switch priority {
            case .low: low
            case .normal: normal
            case .high: high
            case .critical: critical
            }
        }
    }

    public init(
        uptimeMs: Int64? = nil, tasks: TaskCounters = TaskCounters(), failedByReason: [FailureCount] = [],
        successRate: Double? = nil, latency: LatencySummaries = LatencySummaries(), skills: [Skill] = [],
        otherSkills: TaskCounters? = nil, skillLatency: [SkillLatency] = [], otherSkillLatency: LatencySummaries? = nil,
        peers: [Peer] = [], otherPeers: PeerTaskCounters? = nil, queueDepth: QueueDepth = QueueDepth(),
        inFlight: [InFlight] = [], otherInFlight: Int? = nil
    ) {
        self.uptimeMs = uptimeMs
        self.tasks = tasks
        self.failedByReason = failedByReason
        self.successRate = successRate
        self.latency = latency
        self.skills = skills
        self.otherSkills = otherSkills
        self.skillLatency = skillLatency
        self.otherSkillLatency = otherSkillLatency
        self.peers = peers
        self.otherPeers = otherPeers
        self.queueDepth = queueDepth
        self.inFlight = inFlight
        self.otherInFlight = otherInFlight
    }
}
