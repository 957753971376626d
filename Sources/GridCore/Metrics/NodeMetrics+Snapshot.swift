extension NodeMetrics {
    /// The metrics now, as plain values.
    ///
    /// Reading the quantiles walks each histogram's 23,552 buckets three times, so a snapshot's
    /// cost grows with the number of histograms (two for the node, two per skill with latencies
    /// of its own); a debug build took 60 ms for 68 full histograms. Take one per export, not per
    /// task.
    ///
    /// - Parameter uptime: how long the node has run, when the shell wants it shown.
    public func snapshot(uptime: Duration?) -> MetricsSnapshot {
        let ended = totals.completed + totals.failed
        return MetricsSnapshot(
            uptimeMs: uptime.map(Self.milliseconds),
            tasks: totals,
            failedByReason: failuresByReason
                .map { MetricsSnapshot.FailureCount(reason: $0.key.rawValue, count: $0.value) }
                .sorted { $0.reason < $1.reason },
            successRate: ended == 0 ? nil : Double(totals.completed) / Double(ended),
            latency: latency.summaries,
            skills: skills.entries
                .sorted { $0.key < $1.key }
                .map { MetricsSnapshot.Skill(skill: $0.key.name, tasks: $0.value) },
            otherSkills: skills.other,
            skillLatency: skillLatency.entries
                .sorted { $0.key < $1.key }
                .map { MetricsSnapshot.SkillLatency(skill: $0.key.name, latency: $0.value.summaries) },
            otherSkillLatency: skillLatency.other?.summaries,
            peers: peers.entries
                .sorted { $0.key < $1.key }
                .map { MetricsSnapshot.Peer(peer: $0.key.hex, tasks: $0.value) },
            otherPeers: peers.other,
            queueDepth: MetricsSnapshot.QueueDepth(
                low: queueDepth[.low] ?? 0, normal: queueDepth[.normal] ?? 0, high: queueDepth[.high] ?? 0,
                critical: queueDepth[.critical] ?? 0),
            inFlight: boundedInFlight.shown,
            otherInFlight: boundedInFlight.other)
    }

    /// The in-flight gauges within ``MetricsSettings/maxPeers``: the peers holding the most (ties
    /// by node ID) sorted by node ID, and the sum of the rest (nil when none was left out).
    private var boundedInFlight: (shown: [MetricsSnapshot.InFlight], other: Int?) {
        var kept = inFlight.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        var other: Int?
        if kept.count > settings.maxPeers {
            other = kept[settings.maxPeers...].reduce(0) { $0 + $1.value }
            kept.removeSubrange(settings.maxPeers...)
        }
        let shown = kept.sorted { $0.key < $1.key }.map { MetricsSnapshot.InFlight(peer: $0.key.hex, tasks: $0.value) }
        return (shown, other)
    }

    /// `duration` in whole milliseconds (truncated), 0 when negative.
    private static func milliseconds(_ duration: Duration) -> Int64 {
        guard duration > .zero else { return 0 }
        let (seconds, attoseconds) = duration.components
        guard seconds < Int64.max / 1_000 else { return .max }
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
