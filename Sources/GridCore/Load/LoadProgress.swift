/// The live line `gridnode load` redraws on stderr while it runs:
///
///     "  12.0 s  1,234 done  2 failed  8 in flight  102.3/s  p50 1.21 ms  p99 4.50 ms"
///
/// `done` counts the succeeded tasks and the rate is theirs since the start; skipped submissions
/// show when there are some.
public enum LoadProgress {
    public static func line(_ stats: LoadStats, elapsed: Duration) -> String {
        let seconds = LoadPacer.seconds(elapsed)
        let time = LoadFormat.fixed(seconds, 1)
        var parts = [String(repeating: " ", count: max(0, 6 - time.count)) + time + " s"]
        parts.append("\(LoadFormat.grouped(stats.succeeded)) done")
        parts.append("\(LoadFormat.grouped(stats.failed)) failed")
        if stats.skipped > 0 { parts.append("\(LoadFormat.grouped(stats.skipped)) skipped") }
        parts.append("\(LoadFormat.grouped(stats.inFlight)) in flight")
        parts.append(LoadFormat.fixed(seconds > 0 ? Double(stats.succeeded) / seconds : 0, 1) + "/s")
        let latency = stats.latencyUs
        parts.append("p50 " + (latency.map { LoadFormat.latency(microseconds: $0.p50) } ?? "-"))
        parts.append("p99 " + (latency.map { LoadFormat.latency(microseconds: $0.p99) } ?? "-"))
        return parts.joined(separator: "  ")
    }
}
