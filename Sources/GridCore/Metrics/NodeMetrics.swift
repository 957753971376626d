/// The node's task metrics, aggregated: counters in total, per peer and per skill; execution and
/// end-to-end latency histograms in total and per skill; failures by reason; and the gauges the
/// shell sets (queue depth per priority, tasks in flight per peer).
///
/// A pure value: the shell that sees a task's events (the delegation coordinator) calls the
/// input methods, each with the latency it measured, and reads a ``snapshot(uptime:)`` to export
/// (``PrometheusText``, or JSON through `Codable`). Nothing here reads a clock. Every table is
/// bounded by ``MetricsSettings``; docs/METRICS.md lists what each input moves.
public struct NodeMetrics: Sendable {
    public let settings: MetricsSettings

    var totals = TaskCounters()
    var failuresByReason: [TaskFailure.Code: UInt64] = [:]
    var latency = LatencyPair()
    var skills: BoundedTable<SkillID, TaskCounters>
    var skillLatency: BoundedTable<SkillID, LatencyPair>
    var peers: BoundedTable<NodeID, PeerTaskCounters>
    var queueDepth: [TaskPriority: Int] = [:]
    var inFlight: [NodeID: Int] = [:]

    public init(settings: MetricsSettings = .default) {
        self.settings = settings
        skills = BoundedTable(limit: settings.maxSkills)
        skillLatency = BoundedTable(limit: settings.maxSkillLatencies)
        peers = BoundedTable(limit: settings.maxPeers)
    }

    // MARK: Task events

    /// An application submitted a task for `skill`.
    public mutating func submitted(skill: SkillID) {
        count(skill) { $0.submitted += 1 }
    }

    /// A task ended with its output.
    ///
    /// - Parameters:
    ///   - executor: the node that ran it; counted for that peer unless `isLocal`.
    ///   - isLocal: whether this node ran it.
    ///   - endToEnd: from submission to now, retries included.
    ///   - execution: how long the skill itself ran, when known (the local run's time, or the
    ///     time the executor reports); nil records no execution latency.
    public mutating func completed(
        skill: SkillID, executor: NodeID, isLocal: Bool, endToEnd: Duration, execution: Duration?
    ) {
        count(skill) { $0.completed += 1 }
        if !isLocal {
            countPeer(executor) { $0.completed += 1 }
        }
        latency.endToEnd.record(endToEnd)
        if let execution { latency.execution.record(execution) }
        recordLatency(skill) { pair in
            pair.endToEnd.record(endToEnd)
            if let execution { pair.execution.record(execution) }
        }
    }

    /// A task ended without output. A failure with reason ``TaskFailure/Code/timedOut`` also
    /// counts as timed out.
    ///
    /// - Parameters:
    ///   - executor: the peer that held the last attempt, counted for that peer; nil when no
    ///     peer did (no provider, or the last attempt ran on this node).
    ///   - endToEnd: from submission to now; recorded as end-to-end latency.
    public mutating func failed(skill: SkillID, reason: TaskFailure.Code, executor: NodeID?, endToEnd: Duration) {
        let timedOut: UInt64 = reason == .timedOut ? 1 : 0
        count(skill) {
            $0.failed += 1
            $0.timedOut += timedOut
        }
        if let executor {
            countPeer(executor) {
                $0.failed += 1
                $0.timedOut += timedOut
            }
        }
        failuresByReason[reason, default: 0] += 1
        latency.endToEnd.record(endToEnd)
        recordLatency(skill) { $0.endToEnd.record(endToEnd) }
    }

    /// An attempt failed and the task will be tried again.
    ///
    /// - Parameter peer: the peer whose attempt failed; nil when the attempt ran on this node.
    public mutating func retried(skill: SkillID, peer: NodeID?) {
        count(skill) { $0.retried += 1 }
        if let peer {
            countPeer(peer) { $0.retried += 1 }
        }
    }

    /// `peer` refused an attempt (a rejected TaskAck).
    public mutating func refused(skill: SkillID, peer: NodeID) {
        count(skill) { $0.refused += 1 }
        countPeer(peer) { $0.refused += 1 }
    }

    /// An attempt started on this node's own executor.
    public mutating func executedLocally(skill: SkillID) {
        count(skill) { $0.executedLocally += 1 }
    }

    /// An attempt was sent to `peer` (a TaskRequest).
    public mutating func delegated(skill: SkillID, peer: NodeID) {
        count(skill) { $0.delegated += 1 }
        countPeer(peer) { $0.delegated += 1 }
    }

    /// A delivered result is being checked by one more run.
    public mutating func verified(skill: SkillID) {
        count(skill) { $0.verified += 1 }
    }

    /// A run was started to settle a disagreement.
    public mutating func tieBreaker(skill: SkillID) {
        count(skill) { $0.tieBreakers += 1 }
    }

    /// A provider was convicted of a wrong result for a task of `skill`.
    public mutating func convicted(skill: SkillID) {
        count(skill) { $0.convictions += 1 }
    }

    /// A result already delivered was proven wrong.
    public mutating func contradicted(skill: SkillID) {
        count(skill) { $0.contradicted += 1 }
    }

    // MARK: Gauges

    /// The tasks waiting in this node's queue, per priority class; a class left out is 0.
    /// Replaces the previous depths.
    public mutating func setQueueDepth(_ depth: [TaskPriority: Int]) {
        queueDepth = depth
    }

    /// This node's tasks each peer holds now; a peer left out holds none. Replaces the previous
    /// figures. The snapshot shows the ``MetricsSettings/maxPeers`` peers holding the most
    /// (ties by node ID) and sums the rest.
    public mutating func setInFlight(_ inFlight: [NodeID: Int]) {
        self.inFlight = inFlight
    }

    // MARK: Tables

    private mutating func count(_ skill: SkillID, _ update: (inout TaskCounters) -> Void) {
        update(&totals)
        skills.update(skill, make: { TaskCounters() }, update)
    }

    private mutating func countPeer(_ peer: NodeID, _ update: (inout PeerTaskCounters) -> Void) {
        peers.update(peer, make: { PeerTaskCounters() }, update)
    }

    private mutating func recordLatency(_ skill: SkillID, _ update: (inout LatencyPair) -> Void) {
        skillLatency.update(skill, make: { LatencyPair() }, update)
    }
}
