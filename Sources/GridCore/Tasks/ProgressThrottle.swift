/// Decides which of an executor's progress reports go to the requester, and numbers them
/// (Protocol/README.md, `grid.v1.TaskProgress`).
///
/// Per task: a `started` report is sent at once; after any send, the next one waits until
/// `interval` has passed, and a report arriving meanwhile replaces the one waiting (latest wins),
/// to be sent when the interval is over. Nothing is sent for a task after ``finish(_:)``. A task
/// is tracked from its `started` report to ``finish(_:)``, at most `maxTasks` at once.
///
/// The shell feeds it the skill's reports and its timers and carries out each directive: `send`
/// signs and sends a TaskProgress, `schedule` calls ``timerFired(_:now:)`` at that instant.
public struct ProgressThrottle: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Least time between two reports of one task. Default 250 ms.
        public var interval: Duration
        /// Most tasks tracked at once; a task started beyond it sends no progress. Default 1024,
        /// the most tasks an executor runs at once (`maxConcurrentTasks`).
        public var maxTasks: Int

        public static let `default` = Settings(interval: .milliseconds(250), maxTasks: 1024)

        public init(interval: Duration, maxTasks: Int) {
            precondition(interval >= .zero && maxTasks >= 0, "a throttle needs an interval and a bound that are not negative")
            self.interval = interval
            self.maxTasks = maxTasks
        }
    }

    /// A report to send, with its place in the task's sequence (1 for the task's first).
    public struct Report: Sendable, Hashable {
        public let task: TaskID
        public let progress: TaskProgress
        public let sequence: UInt32

        public init(task: TaskID, progress: TaskProgress, sequence: UInt32) {
            self.task = task
            self.progress = progress
            self.sequence = sequence
        }
    }

    public enum Directive: Sendable, Hashable {
        /// Sign and send this report to the task's requester.
        case send(Report)
        /// Call ``timerFired(_:now:)`` for `task` at this instant.
        case schedule(TaskID, at: ContinuousClock.Instant)
    }

    private struct Tracked: Sendable {
        var lastSent: ContinuousClock.Instant
        var sequence: UInt32
        var pending: TaskProgress?
        /// The one timer outstanding for this task, if any.
        var timerAt: ContinuousClock.Instant?
    }

    public let settings: Settings
    private var tasks: [TaskID: Tracked] = [:]
    /// `started` reports not tracked because `maxTasks` tasks were (their tasks send no progress).
    public private(set) var refused = 0

    public init(settings: Settings = .default) {
        self.settings = settings
    }

    /// Tasks tracked now.
    public var trackedTasks: Int { tasks.count }

    /// The skill (or, for `started`, the executor) reports `progress` for `task`.
    public mutating func report(_ progress: TaskProgress, for task: TaskID, now: ContinuousClock.Instant) -> Directive? {
        if progress.stage == .started {
            return started(progress, for: task, now: now)
        }
        guard var entry = tasks[task] else { return nil }  // not started, or finished: nothing to send
        defer { tasks[task] = entry }
        let due = entry.lastSent + settings.interval
        if now >= due {
            // A timer still outstanding (late) finds nothing waiting, or, if more reports come
            // before it fires, waits on for the new interval.
            return .send(Self.next(&entry, progress, now: now, task: task))
        }
        entry.pending = progress
        guard entry.timerAt == nil else { return nil }  // the outstanding timer will send it
        entry.timerAt = due
        return .schedule(task, at: due)
    }

    /// A timer set by a `schedule` directive fired: the report waiting, if any, goes now.
    public mutating func timerFired(_ task: TaskID, now: ContinuousClock.Instant) -> Directive? {
        guard var entry = tasks[task] else { return nil }
        defer { tasks[task] = entry }
        entry.timerAt = nil
        guard let pending = entry.pending else { return nil }
        let due = entry.lastSent + settings.interval
        guard now >= due else {
            // A report was sent since this timer was set (a `started` one): wait for the new end.
            entry.timerAt = due
            return .schedule(task, at: due)
        }
        return .send(Self.next(&entry, pending, now: now, task: task))
    }

    /// The task's result is about to be sent (or it ended another way): nothing more goes for it.
    /// Returns the report still waiting, if any, to send before the result, so the requester sees
    /// the task's last reported state even when it ended within the interval.
    @discardableResult
    public mutating func finish(_ task: TaskID) -> Report? {
        guard var entry = tasks.removeValue(forKey: task), let pending = entry.pending else { return nil }
        entry.sequence += 1
        return Report(task: task, progress: pending, sequence: entry.sequence)
    }

    private mutating func started(_ progress: TaskProgress, for task: TaskID, now: ContinuousClock.Instant) -> Directive? {
        if var entry = tasks[task] {
            // Latest wins: the report waiting is older than this one. Its timer, if any, finds nothing.
            entry.pending = nil
            let report = Self.next(&entry, progress, now: now, task: task)
            tasks[task] = entry
            return .send(report)
        }
        guard tasks.count < settings.maxTasks else {
            refused += 1
            return nil
        }
        var entry = Tracked(lastSent: now, sequence: 0)
        let report = Self.next(&entry, progress, now: now, task: task)
        tasks[task] = entry
        return .send(report)
    }

    private static func next(_ entry: inout Tracked, _ progress: TaskProgress, now: ContinuousClock.Instant, task: TaskID) -> Report {
        entry.sequence &+= 1
        entry.lastSent = now
        entry.pending = nil
        return Report(task: task, progress: progress, sequence: entry.sequence)
    }
}
