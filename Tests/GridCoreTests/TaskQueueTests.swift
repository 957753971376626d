@testable import GridCore
import GridTestKit
import Testing

/// Task IDs for queue tests: `n` in the first eight bytes.
private func taskID(_ n: Int) -> TaskID {
    var bytes = [UInt8](repeating: 0, count: TaskID.byteCount)
    withUnsafeBytes(of: UInt64(n).littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
    return TaskID(unchecked: bytes)
}

@Suite struct TaskPriorityTests {
    @Test(arguments: [
        (UInt8(0), TaskPriority.low), (63, .low), (64, .normal), (127, .normal),
        (128, .high), (191, .high), (192, .critical), (255, .critical),
    ])
    func levelsMapToClassesInBandsOf64(level: UInt8, priority: TaskPriority) {
        #expect(TaskPriority(level: level) == priority)
        #expect(priority.levels.contains(level))
    }

    @Test func everyLevelMapsToTheClassWhoseBandHoldsIt() {
        for level in UInt8.min...UInt8.max {
            #expect(TaskPriority(level: level).levels.contains(level))
        }
    }

    @Test(arguments: [
        (TaskPriority.low, "low", UInt8(32)), (.normal, "normal", 96), (.high, "high", 160), (.critical, "critical", 224),
    ])
    func namesAndDefaultLevels(priority: TaskPriority, name: String, defaultLevel: UInt8) {
        #expect(priority.name == name)
        #expect(TaskPriority(name: name) == priority)
        #expect(priority.defaultLevel == defaultLevel)
        #expect(TaskPriority(level: priority.defaultLevel) == priority)
    }

    @Test func unknownNamesAreRefused() {
        for name in ["", "High", "LOW", "urgent", " normal", "critical "] {
            #expect(TaskPriority(name: name) == nil)
        }
    }

    @Test func classesAreOrderedLowToCritical() {
        #expect(TaskPriority.allCases == [.low, .normal, .high, .critical])
        #expect(TaskPriority.allCases.sorted(by: >) == [.critical, .high, .normal, .low])
        #expect(TaskPriority(level: TaskSpec.defaultPriority) == .normal)
    }
}

@Suite struct TaskQueueTests {
    let t0 = ContinuousClock.now

    func at(ms: Int) -> ContinuousClock.Instant { t0 + .milliseconds(ms) }
    func at(seconds: Int) -> ContinuousClock.Instant { t0 + .seconds(seconds) }

    /// Dequeues everything at `now`, returning the elements in order.
    func drain(_ queue: inout TaskQueue<Int>, now: ContinuousClock.Instant) -> [Int] {
        var out: [Int] = []
        while let entry = queue.dequeue(now: now) { out.append(entry.element) }
        return out
    }

    // MARK: Order

    @Test func defaultSettings() {
        let settings = TaskQueue<Int>.Settings.default
        #expect(settings.bounds == [.critical: 256, .high: 1024, .normal: 4096, .low: 4096])
        #expect(settings.agingInterval == .seconds(10))
        #expect(TaskQueue<Int>().settings == settings)
    }

    @Test func firstInFirstOutWithinAPriority() throws {
        var queue = TaskQueue<Int>()
        for n in 0..<10 {
            try queue.enqueue(n, id: taskID(n), priority: .normal, now: at(ms: n / 3))
        }
        #expect(drain(&queue, now: at(ms: 5)) == Array(0..<10))
        #expect(queue.isEmpty)
    }

    @Test func instantsGoingBackwardsKeepEnqueueOrder() throws {
        var queue = TaskQueue<Int>()
        try queue.enqueue(0, id: taskID(0), priority: .low, now: at(seconds: 5))
        try queue.enqueue(1, id: taskID(1), priority: .low, now: at(seconds: 1))
        let first = queue.dequeue(now: at(seconds: 6))
        #expect(first?.element == 0)
        // The second counts as enqueued at 5 s, the latest instant seen, so it has waited 1 s.
        #expect(queue.dequeue(now: at(seconds: 6))?.waited == .seconds(1))
        // Dequeued "before" its enqueue: a wait of zero, not a negative one.
        try queue.enqueue(2, id: taskID(2), priority: .low, now: at(seconds: 7))
        #expect(queue.dequeue(now: at(seconds: 3))?.waited == .zero)
    }

    @Test func strictPriorityOrderWithoutAging() throws {
        var queue = TaskQueue<Int>()
        let priorities: [TaskPriority] = [.low, .normal, .critical, .high, .low, .critical, .normal, .high]
        for (n, priority) in priorities.enumerated() {
            try queue.enqueue(n, id: taskID(n), priority: priority, now: t0)
        }
        // Dequeued within a second: nobody has aged, so class order, FIFO inside each class.
        let out = (0..<priorities.count).compactMap { _ in queue.dequeue(now: at(ms: 999)) }
        #expect(out.map(\.element) == [2, 5, 3, 7, 1, 6, 0, 4])
        #expect(out.map(\.priority) == [.critical, .critical, .high, .high, .normal, .normal, .low, .low])
        #expect(out.allSatisfy { $0.waited == .milliseconds(999) })
    }

    @Test func agingOffKeepsStrictPriorityForever() throws {
        var queue = TaskQueue<Int>(settings: .init(agingInterval: .zero))
        try queue.enqueue(0, id: taskID(0), priority: .low, now: t0)
        try queue.enqueue(1, id: taskID(1), priority: .normal, now: at(seconds: 3600))
        #expect(queue.effectivePriority(.low, enqueuedAt: t0, now: at(seconds: 3600)) == .low)
        #expect(drain(&queue, now: at(seconds: 3600)) == [1, 0])
    }

    @Test(arguments: [
        // (class, waited in seconds, effective class), with the default 10 s interval.
        (TaskPriority.low, 0, TaskPriority.low), (.low, 9, .low), (.low, 10, .normal), (.low, 19, .normal),
        (.low, 20, .high), (.low, 29, .high), (.low, 30, .critical), (.low, 3600, .critical),
        (.normal, 10, .high), (.normal, 20, .critical), (.high, 9, .high), (.high, 10, .critical),
        (.critical, 1000, .critical), (.high, -5, .high),
    ])
    func effectivePriorityRisesOneClassPerFullInterval(priority: TaskPriority, waited: Int, effective: TaskPriority) {
        let queue = TaskQueue<Int>()
        #expect(queue.effectivePriority(priority, enqueuedAt: t0, now: at(seconds: waited)) == effective)
        #expect(queue.effectivePriority(priority, enqueuedAt: t0, now: at(ms: waited * 1000 - 1)) <= effective)
    }

    // MARK: Aging

    /// A low task enqueued first, then one high every second, each followed by a dequeue. The high
    /// at the head has always just arrived (effective high), and the low one is effective high
    /// after 2 intervals, when it wins the tie as the older: it leaves at exactly 20 s.
    @Test func lowTaskLeavesOnceAgedPastAStreamOfHighs() throws {
        var queue = TaskQueue<Int>()
        try queue.enqueue(-1, id: taskID(1_000_000), priority: .low, now: t0)
        var lowLeftAt: Int?
        for second in 1...60 {
            try queue.enqueue(second, id: taskID(second), priority: .high, now: at(seconds: second))
            let dequeued = queue.dequeue(now: at(seconds: second))
            let out = try #require(dequeued)
            if out.element == -1 {
                #expect(out.priority == .low)
                #expect(out.waited == .seconds(20))
                lowLeftAt = second
                break
            }
            #expect(out.element == second)
        }
        #expect(lowLeftAt == 20)
    }

    /// Two highs arrive every second and one task leaves, so the highs pile up and age too: the
    /// high at the head at second k has waited ⌊k/2⌋ s and is effective critical from k = 20; the
    /// low one is effective critical at 30 s (3 intervals) and older than every high: out at 30 s.
    @Test func lowTaskCompetesAsCriticalAfterThreeIntervals() throws {
        var queue = TaskQueue<Int>()
        try queue.enqueue(-1, id: taskID(1_000_000), priority: .low, now: t0)
        var nextHigh = 0
        var lowLeftAt: Int?
        for second in 1...60 {
            for _ in 0..<2 {
                try queue.enqueue(nextHigh, id: taskID(nextHigh), priority: .high, now: at(seconds: second))
                nextHigh += 1
            }
            let dequeued = queue.dequeue(now: at(seconds: second))
            let out = try #require(dequeued)
            if out.element == -1 {
                #expect(out.waited == .seconds(30))
                lowLeftAt = second
                break
            }
        }
        #expect(lowLeftAt == 30)
    }

    /// 10,000 arrivals of high or critical work, one every 100 ms, on top of a backlog of 100
    /// criticals, each arrival followed by one dequeue. A low task is always waiting (a new one is
    /// queued whenever one leaves, so the backlog grows by one each time). What is queued before a
    /// low one (under 140 entries) has aged to critical and drained, oldest first, within 25 s,
    /// inside 3 intervals, so the rule promises each low one leaves within 30 s.
    @Test func lowWorkNeverStarvesUnderAContinuousStream() throws {
        var queue = TaskQueue<Int>()
        var rng = SeededRandomNumberGenerator(seed: 7)
        var nextID = 0
        func enqueue(_ priority: TaskPriority, at now: ContinuousClock.Instant) throws {
            try queue.enqueue(nextID, id: taskID(nextID), priority: priority, now: now)
            nextID += 1
        }
        try enqueue(.low, at: t0)
        for _ in 0..<100 { try enqueue(.critical, at: t0) }
        var lowWaits: [Duration] = []
        for tick in 1...10_000 {
            let now = at(ms: tick * 100)
            try enqueue(Bool.random(using: &rng) ? .high : .critical, at: now)
            let dequeued = queue.dequeue(now: now)
            let out = try #require(dequeued)
            if out.priority == .low {
                lowWaits.append(out.waited)
                try enqueue(.low, at: now)
            }
            #expect(queue.count(of: .low) == 1)
        }
        // 1,000 s of stream: one low task served at least every 30 s.
        #expect(lowWaits.count >= 1000 / 30)
        #expect(lowWaits.allSatisfy { $0 <= .seconds(30) })
        #expect(lowWaits.max() == .seconds(30))
        #expect(queue.count == 101 + lowWaits.count)
    }

    // MARK: Bounds

    @Test func eachClassIsBoundedAndTheErrorNamesTheBound() throws {
        var queue = TaskQueue<Int>(settings: .init(bounds: [.low: 2, .normal: 3, .high: 2, .critical: 1]))
        try queue.enqueue(0, id: taskID(0), priority: .low, now: t0)
        try queue.enqueue(1, id: taskID(1), priority: .low, now: t0)
        let error = #expect(throws: GridError.self) {
            try queue.enqueue(2, id: taskID(2), priority: .low, now: t0)
        }
        #expect(error?.code == .queueFull)
        #expect(error?.code.rawValue == "queue.full")
        #expect(error?.message.contains("low priority is full (2 tasks, its bound)") == true)
        #expect(error?.message.contains("retry later") == true)
        #expect(error?.message.contains("another priority") == true)
        #expect(queue.count == 2)
        #expect(!queue.contains(taskID(2)))

        // Room again once one leaves.
        #expect(queue.dequeue(now: t0)?.element == 0)
        try queue.enqueue(2, id: taskID(2), priority: .low, now: t0)
        #expect(queue.count(of: .low) == 2)

        try queue.enqueue(3, id: taskID(3), priority: .critical, now: t0)
        let critical = #expect(throws: GridError.self) {
            try queue.enqueue(4, id: taskID(4), priority: .critical, now: t0)
        }
        #expect(critical?.message.contains("critical priority is full (1 tasks, its bound)") == true)
    }

    @Test func aFullLowClassDoesNotBlockHigherOnes() throws {
        var queue = TaskQueue<Int>(settings: .init(bounds: [.low: 3, .normal: 3, .high: 3, .critical: 3]))
        for n in 0..<3 { try queue.enqueue(n, id: taskID(n), priority: .low, now: t0) }
        #expect(throws: GridError.self) { try queue.enqueue(9, id: taskID(9), priority: .low, now: t0) }
        for (n, priority) in [(10, TaskPriority.normal), (11, .high), (12, .critical)] {
            try queue.enqueue(n, id: taskID(n), priority: priority, now: t0)
        }
        #expect(queue.count == 6)
        #expect(drain(&queue, now: t0) == [12, 11, 10, 0, 1, 2])
    }

    @Test func aClassWithNoBoundAcceptsNothing() throws {
        var queue = TaskQueue<Int>(settings: .init(bounds: [.high: 1, .low: -4]))
        for priority in [TaskPriority.low, .normal, .critical] {
            let error = #expect(throws: GridError.self) {
                try queue.enqueue(0, id: taskID(0), priority: priority, now: t0)
            }
            #expect(error?.code == .queueFull)
            #expect(error?.message.contains("its bound for \(priority.name) is 0") == true)
        }
        try queue.enqueue(0, id: taskID(0), priority: .high, now: t0)
        #expect(queue.count == 1)
    }

    // MARK: Duplicates and cancel

    @Test func duplicateIDsAreRefusedUntilTheFirstLeaves() throws {
        var queue = TaskQueue<Int>()
        try queue.enqueue(0, id: taskID(0), priority: .normal, now: t0)
        for priority in TaskPriority.allCases {
            let error = #expect(throws: GridError.self) {
                try queue.enqueue(1, id: taskID(0), priority: priority, now: t0)
            }
            #expect(error?.code == .queueDuplicate)
            #expect(error?.code.rawValue == "queue.duplicate")
            #expect(error?.message.contains("\(taskID(0)) is already queued (priority normal)") == true)
        }
        #expect(queue.count == 1)
        #expect(queue.dequeue(now: t0)?.element == 0)
        try queue.enqueue(2, id: taskID(0), priority: .high, now: t0)
        #expect(queue.cancel(taskID(0)) == 2)
        try queue.enqueue(3, id: taskID(0), priority: .low, now: t0)
        #expect(queue.dequeue(now: t0)?.element == 3)
    }

    @Test func cancelRemovesTheEntryAndUpdatesCounts() throws {
        var queue = TaskQueue<Int>()
        for n in 0..<6 {
            try queue.enqueue(n, id: taskID(n), priority: n < 3 ? .high : .low, now: t0)
        }
        #expect(queue.count == 6 && queue.count(of: .high) == 3 && queue.count(of: .low) == 3)

        #expect(queue.cancel(taskID(0)) == 0)  // a head
        #expect(queue.cancel(taskID(4)) == 4)  // a middle
        #expect(queue.cancel(taskID(2)) == 2)  // a tail
        #expect(queue.cancel(taskID(4)) == nil)  // twice
        #expect(queue.cancel(taskID(99)) == nil)  // never queued
        #expect(queue.count == 3 && queue.count(of: .high) == 1 && queue.count(of: .low) == 2)
        #expect(!queue.contains(taskID(0)) && queue.contains(taskID(1)))

        #expect(drain(&queue, now: t0) == [1, 3, 5])
        #expect(queue.cancel(taskID(1)) == nil)  // already dequeued
        #expect(queue.isEmpty && queue.count(of: .high) == 0 && queue.count(of: .low) == 0)
    }

    @Test func cancellingEverythingEmptiesTheQueue() throws {
        var queue = TaskQueue<Int>()
        for n in 0..<200 { try queue.enqueue(n, id: taskID(n), priority: .normal, now: t0) }
        for n in stride(from: 1, to: 200, by: 2) { #expect(queue.cancel(taskID(n)) == n) }
        for n in stride(from: 198, through: 0, by: -2) { #expect(queue.cancel(taskID(n)) == n) }
        #expect(queue.isEmpty)
        #expect(queue.dequeue(now: t0) == nil)
    }

    // MARK: Position

    @Test func positionReflectsAging() throws {
        var queue = TaskQueue<Int>()
        try queue.enqueue(0, id: taskID(0), priority: .low, now: t0)
        for n in 1...3 { try queue.enqueue(n, id: taskID(n), priority: .high, now: at(seconds: 15)) }
        // At 15 s the low one is effective normal: behind the three highs.
        #expect(queue.position(of: taskID(0), now: at(seconds: 15)) == 3)
        #expect(queue.position(of: taskID(1), now: at(seconds: 15)) == 0)
        #expect(queue.position(of: taskID(3), now: at(seconds: 15)) == 2)
        // At 20 s it is effective high, like them, and older: first.
        #expect(queue.position(of: taskID(0), now: at(seconds: 20)) == 0)
        #expect(queue.position(of: taskID(3), now: at(seconds: 20)) == 3)
        #expect(queue.position(of: taskID(99), now: at(seconds: 20)) == nil)

        // Positions are the order a drain at that instant produces.
        for now in [at(seconds: 15), at(seconds: 20)] {
            var copy = queue
            let order = drain(&copy, now: now)
            for (index, n) in order.enumerated() {
                #expect(queue.position(of: taskID(n), now: now) == index)
            }
        }
        _ = queue.cancel(taskID(1))
        #expect(queue.position(of: taskID(3), now: at(seconds: 15)) == 1)
    }

    // MARK: Against a model, at scale

    /// Random enqueues, dequeues, cancels and positions against a linear-scan model of the rule.
    @Test func matchesALinearScanModelOfTheRule() throws {
        struct Entry { var n: Int, priority: TaskPriority, enqueuedMs: Int }
        let intervalMs = 1_000
        let bounds: [TaskPriority: Int] = [.low: 40, .normal: 40, .high: 40, .critical: 40]
        var queue = TaskQueue<Int>(settings: .init(bounds: bounds, agingInterval: .milliseconds(intervalMs)))
        var model: [Entry] = []  // in enqueue order
        var rng = SeededRandomNumberGenerator(seed: 11)
        var nowMs = 0
        func modelEffective(_ entry: Entry) -> Int {
            min(3, entry.priority.rawValue + (nowMs - entry.enqueuedMs) / intervalMs)
        }
        func modelOrder() -> [Int] {
            // Stable sort keeps enqueue order among equal effective priorities.
            model.enumerated().sorted { a, b in
                let (ea, eb) = (modelEffective(a.element), modelEffective(b.element))
                return ea != eb ? ea > eb : a.offset < b.offset
            }.map(\.element.n)
        }
        for n in 0..<5_000 {
            nowMs += Int.random(in: 0...400, using: &rng)
            let now = at(ms: nowMs)
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<5:
                let priority = TaskPriority.allCases.randomElement(using: &rng)!
                do {
                    try queue.enqueue(n, id: taskID(n), priority: priority, now: now)
                    model.append(Entry(n: n, priority: priority, enqueuedMs: nowMs))
                } catch {
                    #expect(error.code == .queueFull)
                    #expect(model.filter { $0.priority == priority }.count == 40)
                }
            case 5..<8:
                let expected = modelOrder().first
                let out = queue.dequeue(now: now)
                #expect(out?.element == expected)
                if let out, let index = model.firstIndex(where: { $0.n == out.element }) {
                    #expect(out.priority == model[index].priority)
                    #expect(out.waited == .milliseconds(nowMs - model[index].enqueuedMs))
                    model.remove(at: index)
                }
            case 8:
                guard let victim = model.randomElement(using: &rng) else { continue }
                #expect(queue.cancel(taskID(victim.n)) == victim.n)
                model.removeAll { $0.n == victim.n }
            default:
                let order = modelOrder()
                guard let probe = order.randomElement(using: &rng) else { continue }
                #expect(queue.position(of: taskID(probe), now: now) == order.firstIndex(of: probe))
            }
            #expect(queue.count == model.count)
        }
        for priority in TaskPriority.allCases {
            #expect(queue.count(of: priority) == model.filter { $0.priority == priority }.count)
        }
    }

    /// 100,000 mixed operations; no timing, only that it completes with the counts right.
    @Test func aHundredThousandOperations() throws {
        let bounds: [TaskPriority: Int] = [.low: 50_000, .normal: 50_000, .high: 50_000, .critical: 50_000]
        var queue = TaskQueue<Int>(settings: .init(bounds: bounds))
        var rng = SeededRandomNumberGenerator(seed: 3)
        var live: [Int: TaskPriority] = [:]
        var liveIDs: [Int] = []  // may hold stale IDs; checked against `live`
        var counts: [TaskPriority: Int] = [:]
        var (enqueued, dequeued, cancelled) = (0, 0, 0)
        for n in 0..<100_000 {
            let now = at(ms: n * 10)
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<6:
                let priority = TaskPriority.allCases.randomElement(using: &rng)!
                try queue.enqueue(n, id: taskID(n), priority: priority, now: now)
                live[n] = priority
                liveIDs.append(n)
                counts[priority, default: 0] += 1
                enqueued += 1
            case 6..<9:
                if let out = queue.dequeue(now: now) {
                    #expect(live.removeValue(forKey: out.element) == out.priority)
                    counts[out.priority, default: 0] -= 1
                    dequeued += 1
                } else {
                    #expect(live.isEmpty)
                }
            default:
                guard !liveIDs.isEmpty else { continue }
                let victim = liveIDs.removeSwapping(at: Int.random(in: 0..<liveIDs.count, using: &rng))
                if let priority = live.removeValue(forKey: victim) {
                    #expect(queue.cancel(taskID(victim)) == victim)
                    counts[priority, default: 0] -= 1
                    cancelled += 1
                } else {
                    #expect(queue.cancel(taskID(victim)) == nil)
                }
            }
        }
        #expect(queue.count == live.count)
        #expect(queue.count == enqueued - dequeued - cancelled)
        for priority in TaskPriority.allCases {
            #expect(queue.count(of: priority) == counts[priority, default: 0])
        }
        let remaining = drain(&queue, now: at(seconds: 100_000))
        #expect(Set(remaining) == Set(live.keys))
        #expect(queue.isEmpty)
    }

    // MARK: Complexity

    /// Deterministic: counts the slots the queue reads rather than timing it.
    @Test func dequeueAndCancelDoNotScanTheQueue() throws {
        let n = 100_000
        var queue = TaskQueue<Int>(settings: .init(bounds: [.low: n, .normal: n, .high: n, .critical: n]))
        for i in 0..<n {
            try queue.enqueue(i, id: taskID(i), priority: TaskPriority(rawValue: i % 4)!, now: at(ms: i))
        }
        // One dequeue from a queue of 100,000 reads the four class heads and the slot it took.
        let before = queue.slotReads
        #expect(queue.dequeue(now: at(ms: n)) != nil)
        #expect(queue.slotReads - before <= 5)

        // Cancel every other entry, then drain: each dequeue reads at most 4 heads, and each
        // entry is skipped or reclaimed a bounded number of times (at most 2), so the total stays
        // linear. A scan per dequeue would read about n²/4 slots.
        var cancelled = 0
        for i in stride(from: 2, to: n, by: 2) {
            if queue.cancel(taskID(i)) != nil { cancelled += 1 }
        }
        var dequeues = 1
        while queue.dequeue(now: at(ms: 2 * n)) != nil { dequeues += 1 }
        #expect(dequeues + cancelled == n)
        #expect(queue.slotReads <= 4 * dequeues + 2 * n)
        #expect(queue.isEmpty)
    }
}

extension Array {
    /// Removes and returns the element at `index` in O(1), moving the last one into its place.
    fileprivate mutating func removeSwapping(at index: Int) -> Element {
        swapAt(index, count - 1)
        return removeLast()
    }
}
