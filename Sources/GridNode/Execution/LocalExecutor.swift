import GridCore

/// Runs skills on this node, at most `capacity` at once. Further tasks wait in a ``TaskQueue``:
/// by priority class, first in first out within a class, with aging so that low-priority work is
/// never starved, and a bound per class (``TaskQueueSettings``). Tasks from peers are admitted only
/// while fewer than `maxQueued` would wait, counting those admitted but not started yet, so the
/// bound holds however many requests arrive at once.
actor LocalExecutor {
    let skills: [SkillID: any Skill]
    let capacity: Int
    let maxQueued: Int
    private(set) var running = 0
    /// Admitted by ``admit()`` and not yet passed to ``execute(_:input:priority:admitted:)``.
    private var reserved = 0
    private var queue: TaskQueue<CheckedContinuation<Bool, Never>>
    /// Queue entries are keyed by a number of this executor's own, not by task ID: two requesters
    /// may well use the same task ID.
    private var lastWaiterID: UInt64 = 0

    init(skills: [SkillID: any Skill], capacity: Int, maxQueued: Int, queue: TaskQueueSettings = .default) {
        self.skills = skills
        self.capacity = capacity
        self.maxQueued = maxQueued
        self.queue = TaskQueue(settings: queue)
    }

    enum Admission: Equatable {
        /// `queuePosition`: tasks waiting ahead of this one (0: it starts now or next).
        case accepted(queuePosition: Int)
        case busy(String)
    }

    /// Whether a task from a peer may run here (the TaskAck's answer). An accepted task holds its
    /// place until it is passed to ``execute(_:input:priority:admitted:)`` with `admitted: true`.
    func admit() -> Admission {
        let ahead = running + queue.count + reserved
        guard ahead < capacity + maxQueued else {
            return .busy("\(running) tasks running and \(queue.count + reserved) waiting (the limit); retry later or on another node")
        }
        reserved += 1
        return .accepted(queuePosition: max(0, ahead - capacity))
    }

    /// Gives back places reserved by ``admit()`` for tasks that will not run after all.
    func release(admitted count: Int) {
        reserved -= count
    }

    var load: Int { running }
    /// Tasks waiting for a slot.
    var waiting: Int { queue.count }
    /// Tasks waiting for a slot, per priority class.
    func waiting(_ priority: TaskPriority) -> Int { queue.count(of: priority) }

    /// Runs `skill` on `input` once a slot is free; `priority` (0-255) orders the wait. Cancelled
    /// while it waits, it gives up its place and fails as timed out; cancelled while it runs, the
    /// skill is asked to stop. A full queue for its priority fails it at once as `queue_full`.
    func execute(
        _ skill: SkillID, input: [UInt8], priority: UInt8 = TaskSpec.defaultPriority, admitted: Bool = false
    ) async -> TaskOutcome {
        if admitted { reserved -= 1 }
        guard let implementation = skills[skill] else {
            return .failure(TaskFailure(.noProvider, "this node does not serve skill '\(skill)'"))
        }
        switch await acquireSlot(TaskPriority(level: priority)) {
        case .acquired: break
        case .cancelled:
            return .failure(TaskFailure(.timedOut, "the task's deadline passed while it waited for a free slot"))
        case .full(let message):
            return .failure(TaskFailure(.queueFull, message))
        }
        defer { releaseSlot() }
        return await implementation.run(input)
    }

    private enum Slot {
        case acquired, cancelled
        case full(String)
    }

    private func acquireSlot(_ priority: TaskPriority) async -> Slot {
        if running < capacity {
            running += 1
            return .acquired
        }
        guard !Task.isCancelled else { return .cancelled }
        lastWaiterID += 1
        let id = Self.waiterID(lastWaiterID)
        var refusal: String?
        let acquired = await withTaskCancellationHandler {
            await withCheckedContinuation { (slot: CheckedContinuation<Bool, Never>) in
                do {
                    try queue.enqueue(slot, id: id, priority: priority, now: .now)
                } catch {
                    refusal = (error as? GridError)?.message ?? "\(error)"
                    slot.resume(returning: false)
                }
            }
        } onCancel: {
            Task { await self.giveUpWaiting(id) }
        }
        if let refusal { return .full(refusal) }
        return acquired ? .acquired : .cancelled
    }

    private func giveUpWaiting(_ id: TaskID) {
        queue.cancel(id)?.resume(returning: false)  // nil: it got its slot already
    }

    private func releaseSlot() {
        if let next = queue.dequeue(now: .now) {
            // The slot passes straight to the next waiter: `running` stays the same.
            next.element.resume(returning: true)
        } else {
            running -= 1
        }
    }

    private static func waiterID(_ n: UInt64) -> TaskID {
        var bytes = [UInt8](repeating: 0, count: TaskID.byteCount)
        withUnsafeBytes(of: n.bigEndian) { for (i, b) in $0.enumerated() { bytes[8 + i] = b } }
        return TaskID(unchecked: bytes)
    }
}
