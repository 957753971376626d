/// Renders a ``MetricsSnapshot`` in the Prometheus text exposition format, version 0.0.4, for the
/// node's metrics endpoint. The metric names and what they mean are in docs/METRICS.md.
///
/// Every family starts with one `# HELP` and one `# TYPE` line, and its samples follow together.
/// Totals, per-skill and per-peer counts are separate families (`grid_tasks_*`,
/// `grid_skill_tasks_*`, `grid_peer_tasks_*`), so summing any one family over its labels never
/// counts a task twice. Families of the node's totals are always present; a per-skill or per-peer
/// family only once it has an entry. The entry that gathers what the bounds leave out is labelled
/// ``otherLabel``.
public enum PrometheusText {
    /// The `Content-Type` to serve the text with.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The `skill` or `peer` label of the "other" entry of a bounded table. It cannot be a skill
    /// name (those start with a letter or digit) or a node ID (hex).
    public static let otherLabel = "_other"

    /// The quantiles of each latency summary: 0 is the minimum and 1 the maximum.
    static var quantiles: [(label: String, value: (LatencySummary) -> UInt64)] {
        [("0", \.minUs), ("0.5", \.p50Us), ("0.95", \.p95Us), ("0.99", \.p99Us), ("1", \.maxUs)]
    }

    /// The counter families of ``TaskCounters``: name part, help, field.
    static var taskCounters: [(name: String, help: String, value: (TaskCounters) -> UInt64)] {
        [
            ("submitted", "Tasks submitted to this node by applications.", \.submitted),
            ("completed", "Tasks that ended with their output.", \.completed),
            ("failed", "Tasks that ended without output, timed out ones included.", \.failed),
            ("timed_out", "Tasks that failed because their deadline passed.", \.timedOut),
            ("retried", "Attempts that failed and were tried again.", \.retried),
            ("refused", "Attempts a peer refused.", \.refused),
            ("executed_locally", "Attempts run on this node's own executor.", \.executedLocally),
            ("delegated", "Attempts sent to a peer.", \.delegated),
            ("verified", "Delivered results checked by one more run on another node.", \.verified),
            ("tie_breakers", "Runs started to settle a disagreement between a task's runs.", \.tieBreakers),
            ("convictions", "Providers convicted of a wrong result by this node's runs.", \.convictions),
            ("contradicted", "Delivered results a check proved wrong.", \.contradicted),
        ]
    }

    /// The counter families of ``PeerTaskCounters``: name part, help, field.
    static var peerCounters: [(name: String, help: String, value: (PeerTaskCounters) -> UInt64)] {
        [
            ("delegated", "Attempts this node sent to the peer.", \.delegated),
            ("refused", "Attempts the peer refused.", \.refused),
            ("retried", "Attempts on the peer that failed and were tried again.", \.retried),
            ("completed", "Tasks the peer completed.", \.completed),
            ("failed", "Tasks that failed with the peer as their last executor, timed out ones included.", \.failed),
            ("timed_out", "Tasks that timed out with the peer as their last executor.", \.timedOut),
        ]
    }

    public static func render(_ snapshot: MetricsSnapshot) -> String {
        var out = PrometheusWriter()
        if let uptimeMs = snapshot.uptimeMs {
            out.family("grid_uptime_seconds", .gauge, help: "How long the node has run.")
            out.sample("grid_uptime_seconds", PrometheusWriter.decimal(UInt64(max(0, uptimeMs)), fractionDigits: 3))
        }
        renderTotals(snapshot, into: &out)
        renderSkills(snapshot, into: &out)
        renderPeers(snapshot, into: &out)
        renderGauges(snapshot, into: &out)
        return out.text
    }

    private static func renderTotals(_ snapshot: MetricsSnapshot, into out: inout PrometheusWriter) {
        for counter in taskCounters {
            let name = "grid_tasks_\(counter.name)_total"
            if counter.name == "failed" {
                // One series per reason, every reason always present, so each starts at 0.
                out.family(name, .counter, help: counter.help + " By reason.")
                for reason in TaskFailure.Code.allCases.map(\.rawValue).sorted() {
                    let count = snapshot.failedByReason.first { $0.reason == reason }?.count ?? 0
                    out.sample(name, [("reason", reason)], count)
                }
            } else {
                out.family(name, .counter, help: counter.help)
                out.sample(name, counter.value(snapshot.tasks))
            }
        }
        out.family("grid_task_success_ratio", .gauge, help: "Completed / (completed + failed); NaN before any task ended.")
        out.sample("grid_task_success_ratio", PrometheusWriter.value(snapshot.successRate ?? .nan))

        let latency = "grid_task_latency_seconds"
        out.family(latency, .summary, help: "Task latency: execution (the work itself) and end_to_end (submission to end).")
        summary(latency, [("kind", "execution")], snapshot.latency.execution, into: &out)
        summary(latency, [("kind", "end_to_end")], snapshot.latency.endToEnd, into: &out)
    }

    private static func renderSkills(_ snapshot: MetricsSnapshot, into out: inout PrometheusWriter) {
        var skills = snapshot.skills.map { ($0.skill, $0.tasks) }
        if let other = snapshot.otherSkills { skills.append((otherLabel, other)) }
        if !skills.isEmpty {
            for counter in taskCounters {
                let name = "grid_skill_tasks_\(counter.name)_total"
                out.family(name, .counter, help: counter.help + " Per skill.")
                for (skill, tasks) in skills {
                    out.sample(name, [("skill", skill)], counter.value(tasks))
                }
            }
        }

        var latencies = snapshot.skillLatency.map { ($0.skill, $0.latency) }
        if let other = snapshot.otherSkillLatency { latencies.append((otherLabel, other)) }
        if !latencies.isEmpty {
            let name = "grid_skill_task_latency_seconds"
            out.family(name, .summary, help: "Task latency per skill: execution and end_to_end.")
            for (skill, latency) in latencies {
                if let execution = latency.execution {
                    summary(name, [("skill", skill), ("kind", "execution")], execution, into: &out)
                }
                if let endToEnd = latency.endToEnd {
                    summary(name, [("skill", skill), ("kind", "end_to_end")], endToEnd, into: &out)
                }
            }
        }
    }

    private static func renderPeers(_ snapshot: MetricsSnapshot, into out: inout PrometheusWriter) {
        var peers = snapshot.peers.map { ($0.peer, $0.tasks) }
        if let other = snapshot.otherPeers { peers.append((otherLabel, other)) }
        guard !peers.isEmpty else { return }
        for counter in peerCounters {
            let name = "grid_peer_tasks_\(counter.name)_total"
            out.family(name, .counter, help: counter.help)
            for (peer, tasks) in peers {
                out.sample(name, [("peer", peer)], counter.value(tasks))
            }
        }
    }

    private static func renderGauges(_ snapshot: MetricsSnapshot, into out: inout PrometheusWriter) {
        out.family("grid_queue_depth", .gauge, help: "Tasks waiting in this node's queue, per priority class.")
        for priority in TaskPriority.allCases {
            out.sample("grid_queue_depth", [("priority", priority.name)], snapshot.queueDepth[priority])
        }

        var inFlight = snapshot.inFlight.map { ($0.peer, $0.tasks) }
        if let other = snapshot.otherInFlight { inFlight.append((otherLabel, other)) }
        guard !inFlight.isEmpty else { return }
        out.family("grid_peer_in_flight", .gauge, help: "This node's tasks the peer holds now.")
        for (peer, tasks) in inFlight {
            out.sample("grid_peer_in_flight", [("peer", peer)], tasks)
        }
    }

    /// A summary's quantile samples, then `_sum` and `_count`; NaN quantiles and zeros when there
    /// is no sample yet.
    private static func summary(
        _ name: String, _ labels: [(String, String)], _ summary: LatencySummary?, into out: inout PrometheusWriter
    ) {
        for quantile in quantiles {
            let value = summary.map { PrometheusWriter.seconds(microseconds: quantile.value($0)) } ?? "NaN"
            out.sample(name, labels + [("quantile", quantile.label)], value)
        }
        out.sample(name + "_sum", labels, PrometheusWriter.seconds(microseconds: summary?.sumUs ?? 0))
        out.sample(name + "_count", labels, summary?.count ?? 0)
    }
}
