extension TaskQueue {
    /// The queue's settings: a type of its own, since a generic type cannot hold a `static let`.
    public typealias Settings = TaskQueueSettings
}

/// How much a ``TaskQueue`` holds and how fast waiting work gains priority.
///
/// **Aging rule.** Number the classes low 0, normal 1, high 2, critical 3. An entry of class `p`
/// that has waited `w` (from its enqueue to the dequeue being decided) has the *effective
/// priority* `min(critical, p + ⌊w / agingInterval⌋)`: one class more for every *full* interval
/// waited, never above critical. Dequeue takes the entry with the highest effective priority, and
/// among equal ones the one enqueued first.
///
/// **What it guarantees.** An entry of class `p` counts as critical once it has waited
/// `(3 − p) × agingInterval` (30 s for a low one by default), and from then on only entries
/// enqueued *before* it can be dequeued ahead of it. So its wait is at most `(3 − p) ×
/// agingInterval`, or, if entries queued before it are still there by then, the time the next
/// dequeues take to drain those. No stream of later arrivals, of any priority, can starve it.
public struct TaskQueueSettings: Sendable, Equatable {
    /// Most entries queued at once per priority class. An enqueue beyond its class's bound is
    /// refused with `queue.full`; the other classes are unaffected. A class missing from the
    /// dictionary, or with a bound of 0 or less, accepts nothing.
    ///
    /// Default: ``defaultBounds`` (critical 256, high 1024, normal 4096, low 4096).
    public var bounds: [TaskPriority: Int]

    /// How long an entry waits to count as one class higher (see the aging rule above).
    /// Zero or negative turns aging off: strict priority, under which low work can starve.
    ///
    /// Default: 10 s.
    public var agingInterval: Duration

    /// Critical 256, high 1024, normal 4096, low 4096.
    public static let defaultBounds: [TaskPriority: Int] = [.critical: 256, .high: 1024, .normal: 4096, .low: 4096]

    public static let `default` = TaskQueueSettings()

    public init(bounds: [TaskPriority: Int] = defaultBounds, agingInterval: Duration = .seconds(10)) {
        self.bounds = bounds
        self.agingInterval = agingInterval
    }

    /// The bound in force for `priority` (0 when missing or negative).
    public func bound(for priority: TaskPriority) -> Int {
        max(0, bounds[priority] ?? 0)
    }
}
