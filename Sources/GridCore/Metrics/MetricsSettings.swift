/// How much ``NodeMetrics`` keeps: every table it fills from the network or from applications is
/// bounded here, and what does not fit is folded into one "other" entry rather than dropped.
///
/// A peer or skill gets an entry of its own the first time it is seen while there is room, and
/// keeps it for the life of the ``NodeMetrics`` value; anything seen after the table is full is
/// counted in the table's "other" entry (``MetricsSnapshot/otherPeers``,
/// ``MetricsSnapshot/otherSkills``, ...). Totals always count everything. A bound of 0 or less
/// gives nothing an entry of its own.
public struct MetricsSettings: Sendable, Equatable {
    /// Most peers with counters of their own (``MetricsSnapshot/peers``), and most peers with an
    /// in-flight gauge of their own (``MetricsSnapshot/inFlight``). An entry takes a couple of
    /// hundred bytes at most (key, counters, the table's slack). Default 1,000.
    public var maxPeers: Int

    /// Most skills with counters of their own (``MetricsSnapshot/skills``). An entry takes a
    /// couple of hundred bytes at most. Default 1,000.
    public var maxSkills: Int

    /// Most skills with latency histograms of their own (``MetricsSnapshot/skillLatency``).
    ///
    /// Lower than ``maxSkills`` because a histogram is not small: covering 1 µs to 1 hour at three
    /// significant digits takes 23,552 counts of 8 bytes, about 190 KB, and a skill has two
    /// (execution and end-to-end), so each skill costs about 380 KB and the default bound about
    /// 12 MB at most (a skill's histograms are made at its first latency, so unused room costs
    /// nothing). Default 32.
    public var maxSkillLatencies: Int

    public init(maxPeers: Int = 1_000, maxSkills: Int = 1_000, maxSkillLatencies: Int = 32) {
        self.maxPeers = maxPeers
        self.maxSkills = maxSkills
        self.maxSkillLatencies = maxSkillLatencies
    }

    public static let `default` = MetricsSettings()
}
