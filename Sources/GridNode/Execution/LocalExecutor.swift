import GridCore

/// Runs skills on this node, at most `capacity` at once; further tasks wait in FIFO order.
/// Tasks from peers are admitted only while fewer than `maxQueued` would wait, counting those
/// admitted but not started yet, so the bound holds however many requests arrive at once.
actor LocalExecutor {
    let skills: [SkillID: any Skill]
    let capacity: Int
    let maxQueued: Int
    private(set) var running = 0
    /// Admitted by ``admit()`` and not yet passed to ``execute(_:input:admitted:)``.
    private var reserved = 0
    private var waiters: [(id: UInt64, slot: CheckedContinuation<Bool, Never>)] = []
    private var lastWaiterID: UInt64 = 0

    init(skills: [SkillID: any Skill], capacity: Int, maxQueued: Int) {
        self.skills = skills
        self.capacity = capacity
        self.maxQueued = maxQueued
    }

    enum Admission: Equatable {
        /// `queuePosition`: tasks waiting ahead of this one (0: it starts now or next).
        case accepted(queuePosition: Int)
        case busy(String)
    }

    /// Whether a task from a peer may run here (the TaskAck's answer). An accepted task holds its
    /// place until it is passed to ``execute(_:input:admitted:)`` with `admitted: true`.
    func admit() -> Admission {
        let ahead = running + waiters.count + reserved
        guard ahead < capacity + maxQueued else {
            return .busy("\(running) tasks running and \(waiters.count + reserved) waiting (the limit); retry later or on another node")
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
    var waiting: Int { waiters.count }

    /// Runs `skill` on `input` once a slot is free. Cancelled while it waits, it gives up its place
    /// and fails as timed out; cancelled while it runs, the skill is asked to stop.
    func execute(_ skill: SkillID, input: [UInt8], admitted: Bool = false) async -> TaskOutcome {
        if admitted { reserved -= 1 }
        guard let implementation = skills[skill] else {
            return .failure(TaskFailure(.noProvider, "this node does not serve skill '\(skill)'"))
        }
        guard await acquireSlot() else {
            return .failure(TaskFailure(.timedOut, "the task's deadline passed while it waited for a free slot"))
        }
        defer { releaseSlot() }
        return await implementation.run(input)
    }

    private func acquireSlot() async -> Bool {
        if running < capacity {
            running += 1
            return true
        }
        guard !Task.isCancelled else { return false }
        lastWaiterID += 1
        let id = lastWaiterID
        return await withTaskCancellationHandler {
            await withCheckedContinuation { waiters.append((id, $0)) }
        } onCancel: {
            Task { await self.giveUpWaiting(id) }
        }
    }

    private func giveUpWaiting(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }  // got its slot already
        waiters.remove(at: index).slot.resume(returning: false)
    }

    private func releaseSlot() {
        if waiters.isEmpty {
            running -= 1
        } else {
            // The slot passes straight to the next waiter: `running` stays the same.
            waiters.removeFirst().slot.resume(returning: true)
        }
    }
}
