/// The requester's queue of its own work that is waiting for capacity: tasks (one entry per
/// replica) that some node serves but none can take now, because every provider is at capacity,
/// holds a full window of this node's tasks, is refusing as busy, or has an open circuit.
///
/// Entries wait by priority (a ``TaskQueue`` per skill: priority classes, aging, first in first out
/// within a class), so a task for a busy skill never holds up one for an idle skill. The bound is
/// per priority class across all skills (``Settings/queue``) and holds at admission: an
/// application is refused at submission, with a message naming the bound, when its class is full
/// (``refusal(for:)``). A task already accepted is never dropped for it: a retry, or a task resumed
/// after a restart, always gets in line, so the count may pass the bound for a while.
///
/// The shell places entries when capacity may have freed (a window slot, a local slot, a skill
/// announcement) by asking ``next(of:now:)``, routing it, and taking it with ``take(of:now:)`` once a
/// node has room; and, while anything waits, on a recheck timer (``Directive/scheduleRecheck(at:)``),
/// since some capacity comes back with time only (a busy peer's back-off, a circuit's cooldown).
/// An entry leaves early when its task ends another way (deadline, cancel): ``removeAll(task:)``.
public struct PlacementQueue: Sendable {
    /// One replica of one task.
    public struct Entry: Sendable, Hashable {
        public var task: TaskID
        public var replica: Int

        public init(task: TaskID, replica: Int) {
            self.task = task
            self.replica = replica
        }
    }

    public struct Settings: Sendable, Equatable {
        /// Bounds per priority class (across every skill) and aging. Default ``TaskQueueSettings/default``.
        public var queue: TaskQueueSettings
        /// How often waiting entries are tried again when no event says capacity freed. Default 250 ms.
        public var recheckInterval: Duration

        public init(queue: TaskQueueSettings = .default, recheckInterval: Duration = .milliseconds(250)) {
            precondition(recheckInterval > .zero, "a recheck interval")
            self.queue = queue
            self.recheckInterval = recheckInterval
        }

        public static let `default` = Settings()
    }

    public enum Directive: Sendable, Equatable {
        /// Call ``recheckFired(now:)`` at `at`.
        case scheduleRecheck(at: ContinuousClock.Instant)
        /// Try to place the waiting entries now.
        case drain
    }

    public let settings: Settings
    /// Each skill's line: the classes and aging of ``Settings/queue``, with the bound checked here.
    private let unbounded: TaskQueueSettings
    private var bySkill: [SkillID: TaskQueue<Entry>] = [:]
    /// Each entry's skill, its key in that skill's queue, and its class.
    private var keys: [Entry: (skill: SkillID, key: TaskID, priority: TaskPriority)] = [:]
    private var counts: [TaskPriority: Int] = [:]
    private var lastKey: UInt64 = 0
    private var recheckAt: ContinuousClock.Instant?

    public init(settings: Settings = .default) {
        self.settings = settings
        unbounded = TaskQueueSettings(
            bounds: Dictionary(uniqueKeysWithValues: TaskPriority.allCases.map { ($0, Int.max) }), agingInterval: settings.queue.agingInterval)
    }

    /// Entries waiting, over every skill.
    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }
    /// Entries waiting in `priority`'s class, over every skill.
    public func count(of priority: TaskPriority) -> Int { counts[priority] ?? 0 }
    /// Skills with waiting entries.
    public var skills: [SkillID] { Array(bySkill.keys) }
    public func contains(_ entry: Entry) -> Bool { keys[entry] != nil }

    /// Nil when a task of `priority` may wait; else why not, naming the bound (for the application).
    public func refusal(for priority: TaskPriority) -> String? {
        let bound = settings.queue.bound(for: priority)
        guard count(of: priority) >= bound else { return nil }
        return "this node already holds \(bound) \(priority.name)-priority tasks waiting for a node with room (the bound, "
            + "queueBound\(priority.name.prefix(1).uppercased())\(priority.name.dropFirst())); retry later, submit at another "
            + "priority, or add capacity to the grid"
    }

    /// Puts `entry` (a replica of an accepted task of `skill`) in line, whatever the bound (see the
    /// type's notes). Throws `queue.duplicate` when it waits already.
    public mutating func park(
        _ entry: Entry, skill: SkillID, priority: TaskPriority, now: ContinuousClock.Instant
    ) throws(GridError) -> [Directive] {
        if keys[entry] != nil {
            throw GridError(.queueDuplicate, "replica \(entry.replica) of task \(entry.task) is waiting for capacity already")
        }
        lastKey += 1
        let key = Self.key(lastKey)
        var queue = bySkill[skill] ?? TaskQueue(settings: unbounded)
        try queue.enqueue(entry, id: key, priority: priority, now: now)
        bySkill[skill] = queue
        keys[entry] = (skill, key, priority)
        counts[priority, default: 0] += 1
        guard recheckAt == nil else { return [] }
        let at = now.advanced(by: settings.recheckInterval)
        recheckAt = at
        return [.scheduleRecheck(at: at)]
    }

    /// The entry of `skill` to place next (highest effective priority, oldest first), left waiting.
    public func next(of skill: SkillID, now: ContinuousClock.Instant) -> Entry? {
        bySkill[skill]?.peek(now: now)?.element
    }

    /// Takes the entry of `skill` that ``next(of:now:)`` names, to place it.
    public mutating func take(of skill: SkillID, now: ContinuousClock.Instant) -> Entry? {
        guard var queue = bySkill[skill], let taken = queue.dequeue(now: now) else { return nil }
        bySkill[skill] = queue.isEmpty ? nil : queue
        keys[taken.element] = nil
        counts[taken.priority, default: 1] -= 1
        return taken.element
    }

    /// Takes `entry` out of line (its task ended another way). False when it was not waiting.
    @discardableResult
    public mutating func remove(_ entry: Entry) -> Bool {
        guard let (skill, key, priority) = keys.removeValue(forKey: entry), var queue = bySkill[skill] else { return false }
        _ = queue.cancel(key)
        bySkill[skill] = queue.isEmpty ? nil : queue
        counts[priority, default: 1] -= 1
        return true
    }

    /// Takes every replica of `task` out of line.
    public mutating func removeAll(task: TaskID) {
        guard !keys.isEmpty else { return }
        for replica in 0..<TaskSpec.maxReplicas {
            remove(Entry(task: task, replica: replica))
        }
    }

    /// The recheck timer fired: drain while anything waits, and set the next recheck.
    public mutating func recheckFired(now: ContinuousClock.Instant) -> [Directive] {
        recheckAt = nil
        guard !keys.isEmpty else { return [] }
        let at = now.advanced(by: settings.recheckInterval)
        recheckAt = at
        return [.drain, .scheduleRecheck(at: at)]
    }

    private static func key(_ n: UInt64) -> TaskID {
        var bytes = [UInt8](repeating: 0, count: TaskID.byteCount)
        withUnsafeBytes(of: n.bigEndian) { for (i, b) in $0.enumerated() { bytes[8 + i] = b } }
        return TaskID(unchecked: bytes)
    }
}
