extension LoadReport {
    /// The report for people, as `gridnode load` prints it at the end:
    ///
    ///     load        echo at n1, concurrency 8, for 3 s, input "load"
    ///     ran         3.004 s
    ///     tasks       submitted 9,120, succeeded 9,120, failed 0
    ///     throughput  3,036.0 tasks/s
    ///     latency     p50 2.51 ms  p90 3.20 ms  p99 5.01 ms  max 12.40 ms  mean 2.62 ms
    ///     errors      none
    public var text: String {
        let setup: String
        if let rate {
            setup = "rate \(LoadFormat.seconds(rate))/s (at most \(LoadFormat.grouped(maxInFlight ?? 0)) in flight)"
        } else {
            setup = "concurrency \(concurrency ?? 0)"
        }
        let input = inputBytes == 0 ? "input \"load\"" : "input \(LoadFormat.grouped(inputBytes)) random bytes"
        var lines = [
            "load        \(skill) at \(node), \(setup), for \(LoadFormat.seconds(requestedDurationSeconds)) s, \(input)",
            "ran         \(LoadFormat.seconds(durationSeconds)) s",
            "tasks       submitted \(LoadFormat.grouped(submitted)), succeeded \(LoadFormat.grouped(succeeded)), failed \(LoadFormat.grouped(failed))",
            "throughput  \(LoadFormat.fixed(throughputPerSecond, 1)) tasks/s",
        ]
        if let l = latencyUs {
            let parts = [("p50", l.p50), ("p90", l.p90), ("p99", l.p99), ("max", l.max), ("mean", l.mean)]
            lines.append("latency     " + parts.map { "\($0) \(LoadFormat.latency(microseconds: $1))" }.joined(separator: "  "))
        } else {
            lines.append("latency     - (no task succeeded)")
        }
        let errors = errorsByReason.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        lines.append("errors      " + (errors.isEmpty ? "none" : errors.map { "\($0.key) \(LoadFormat.grouped($0.value))" }.joined(separator: ", ")))
        if checked { lines.append("outputs     " + (wrongOutputs == 0 ? "all right" : "\(LoadFormat.grouped(wrongOutputs)) wrong")) }
        if skipped > 0 {
            lines.append(
                "skipped     \(LoadFormat.grouped(skipped)) due submissions were not sent, as \(LoadFormat.grouped(maxInFlight ?? 0)) tasks "
                    + "(--max-in-flight) were in flight already (generator_backlog): the node did not keep up with the rate. "
                    + "Lower --rate, or raise --max-in-flight")
        }
        if let stoppedEarly { lines.append("stopped     \(stoppedEarly)") }
        return lines.joined(separator: "\n")
    }
}
