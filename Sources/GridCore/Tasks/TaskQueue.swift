/// A bounded priority queue of pending work, with aging so that low-priority work cannot starve.
///
/// Each priority class has its own bound (``Settings/bounds``); an enqueue over it is refused with
/// `queue.full`, never dropped silently. Dequeue takes the entry with the highest *effective*
/// priority (its class plus one for every full ``Settings/agingInterval`` it has waited, up to
/// critical), first-in first-out among equals; ``Settings`` states the rule and its guarantee.
///
/// Pure: instants come in as arguments and no clock is read. Instants are expected not to go
/// backwards between enqueues; one that does counts as the latest instant already seen, so entries
/// stay in enqueue order.
///
/// Cost: `enqueue` O(1) amortised; `dequeue` O(1) amortised (it compares the heads of the four
/// classes, each class's oldest entry being its best candidate); `cancel` O(log n) (a binary
/// search in the entry's class, plus O(1) amortised to reclaim tombstones); `position(of:now:)`
/// O(k) for the k entries ahead, O(n) at worst.
public struct TaskQueue<Element: Sendable>: Sendable {
    /// What ``dequeue(now:)`` hands out.
    public typealias Dequeued = (id: TaskID, element: Element, priority: TaskPriority, waited: Duration)

    public let settings: Settings

    /// One lane per class, indexed by `TaskPriority.rawValue`.
    private var lanes = [Lane](repeating: Lane(), count: TaskPriority.allCases.count)
    /// Where each queued entry is: its class and sequence number.
    private var locations: [TaskID: (priority: TaskPriority, sequence: UInt64)] = [:]
    private var nextSequence: UInt64 = 0
    private var latestEnqueue: ContinuousClock.Instant?
    /// Waits at which an entry counts as 1, 2 and 3 classes higher; empty when aging is off.
    private let agingSteps: [Duration]
    /// Lane heads read by dequeue (for the complexity tests; see ``slotReads``).
    private var headReads = 0

    public init(settings: Settings = .default) {
        self.settings = settings
        agingSteps = settings.agingInterval > .zero ? (1...3).map { settings.agingInterval * $0 } : []
    }

    /// Entries queued.
    public var count: Int { locations.count }

    public var isEmpty: Bool { locations.isEmpty }

    /// Entries queued in `priority`'s class (by class, not by effective priority).
    public func count(of priority: TaskPriority) -> Int {
        lanes[priority.rawValue].liveCount
    }

    public func contains(_ id: TaskID) -> Bool {
        locations[id] != nil
    }

    /// Queues `element` under `id` in `priority`'s class.
    ///
    /// Throws `queue.full` when that class holds its bound already (other classes may have room),
    /// and `queue.duplicate` when `id` is queued already; the queue is unchanged either way.
    public mutating func enqueue(
        _ element: Element, id: TaskID, priority: TaskPriority, now: ContinuousClock.Instant
    ) throws(GridError) {
        if let queued = locations[id] {
            throw GridError(
                .queueDuplicate,
                "task \(id) is already queued (priority \(queued.priority.name)); it runs once: cancel it "
                    + "before queueing it again, or give the new task a new ID")
        }
        let bound = settings.bound(for: priority)
        guard lanes[priority.rawValue].liveCount < bound else {
            throw GridError(.queueFull, Self.fullMessage(priority, bound: bound))
        }
        let enqueuedAt = latestEnqueue.map { max($0, now) } ?? now
        latestEnqueue = enqueuedAt
        lanes[priority.rawValue].append(element, id: id, sequence: nextSequence, enqueuedAt: enqueuedAt)
        locations[id] = (priority, nextSequence)
        nextSequence += 1
    }

    /// Takes the entry with the highest effective priority at `now`, the earliest enqueued among
    /// equals; nil when the queue is empty. `waited` is the time since its enqueue (never negative).
    public mutating func dequeue(now: ContinuousClock.Instant) -> Dequeued? {
        guard let priority = bestLane(now: now), let taken = lanes[priority.rawValue].removeFirst() else {
            return nil
        }
        locations[taken.slot.id] = nil
        return (taken.slot.id, taken.element, priority, max(.zero, taken.slot.enqueuedAt.duration(to: now)))
    }

    /// The entry ``dequeue(now:)`` would take at `now`, left in the queue; nil when it is empty.
    public func peek(now: ContinuousClock.Instant) -> (id: TaskID, element: Element, priority: TaskPriority)? {
        var reads = 0
        guard let priority = bestLane(now: now, reads: &reads), let head = lanes[priority.rawValue].first,
            let element = head.element
        else { return nil }
        return (head.id, element, priority)
    }

    /// The class whose head is next: the highest effective priority, the earliest enqueued among equals.
    private mutating func bestLane(now: ContinuousClock.Instant) -> TaskPriority? {
        bestLane(now: now, reads: &headReads)
    }

    private func bestLane(now: ContinuousClock.Instant, reads: inout Int) -> TaskPriority? {
        var best: (priority: TaskPriority, effective: TaskPriority, sequence: UInt64)?
        for priority in TaskPriority.allCases {
            guard let head = lanes[priority.rawValue].first else { continue }
            reads += 1
            let effective = effectivePriority(priority, enqueuedAt: head.enqueuedAt, now: now)
            if let current = best,
                effective < current.effective || (effective == current.effective && head.sequence > current.sequence)
            {
                continue
            }
            best = (priority, effective, head.sequence)
        }
        return best?.priority
    }

    /// Removes the entry queued under `id` and returns it; nil when there is none (never queued,
    /// dequeued or cancelled already).
    public mutating func cancel(_ id: TaskID) -> Element? {
        guard let location = locations.removeValue(forKey: id) else { return nil }
        return lanes[location.priority.rawValue].remove(sequence: location.sequence)
    }

    /// Where the entry queued under `id` stands: how many entries would be dequeued before it if
    /// the queue were drained at `now` with no arrivals (0: it is next). nil when it is not queued.
    ///
    /// O(k) for the k entries ahead of it (the entries of a class ahead of it are a prefix of that
    /// class, so each class is read only up to the first one behind it); O(n) at worst.
    public func position(of id: TaskID, now: ContinuousClock.Instant) -> Int? {
        guard let location = locations[id],
            let target = lanes[location.priority.rawValue].slot(sequence: location.sequence)
        else { return nil }
        let targetEffective = effectivePriority(location.priority, enqueuedAt: target.enqueuedAt, now: now)
        var ahead = 0
        for priority in TaskPriority.allCases {
            for slot in lanes[priority.rawValue].liveSlots {
                let effective = effectivePriority(priority, enqueuedAt: slot.enqueuedAt, now: now)
                guard effective > targetEffective || (effective == targetEffective && slot.sequence < target.sequence)
                else { break }
                ahead += 1
            }
        }
        return ahead
    }

    /// The class an entry of class `priority`, enqueued at `enqueuedAt`, competes as at `now`.
    public func effectivePriority(
        _ priority: TaskPriority, enqueuedAt: ContinuousClock.Instant, now: ContinuousClock.Instant
    ) -> TaskPriority {
        let waited = enqueuedAt.duration(to: now)
        var steps = 0
        while priority.rawValue + steps < TaskPriority.critical.rawValue, steps < agingSteps.count,
            waited >= agingSteps[steps]
        {
            steps += 1
        }
        return TaskPriority(rawValue: priority.rawValue + steps)!
    }

    /// Slots read to find what to dequeue or cancel, since the queue was made: at most 4 lane heads
    /// per dequeue, plus a bounded number per entry ever enqueued (tombstones skipped or reclaimed).
    /// Tests use it to check that no operation scans the queue.
    var slotReads: Int {
        headReads + lanes.reduce(0) { $0 + $1.slotReads }
    }

    private static func fullMessage(_ priority: TaskPriority, bound: Int) -> String {
        if bound == 0 {
            return "the task queue accepts no \(priority.name)-priority tasks (its bound for \(priority.name) is 0); "
                + "submit at another priority, or raise the bound in the node's queue settings"
        }
        return "the task queue for \(priority.name) priority is full (\(bound) tasks, its bound); retry later, "
            + "or submit at another priority (each has its own bound), or raise the bound in the node's queue settings"
    }
}

extension GridError.Code {
    /// A task queue's class is at its bound; the task was not queued.
    public static let queueFull = Self("queue.full")
    /// A task with the same ID is queued already; the new one was not queued.
    public static let queueDuplicate = Self("queue.duplicate")
}
