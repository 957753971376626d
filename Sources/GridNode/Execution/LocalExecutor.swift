import GridCore

/// Runs skills on this node, at most `capacity` at once; further tasks wait in FIFO order.
/// Remote tasks are admitted only while the wait is shorter than `maxQueued`.
actor LocalExecutor {
    let skills: [SkillID: any Skill]
    let capacity: Int
    let maxQueued: Int
    private(set) var running = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

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

    /// Whether a task from a peer may start now or queue (the TaskAck's answer).
    func admit() -> Admission {
        if running < capacity { return .accepted(queuePosition: 0) }
        if waiters.count < maxQueued { return .accepted(queuePosition: waiters.count) }
        return .busy("\(running) tasks running and \(waiters.count) queued (the limit); retry later or on another node")
    }

    var load: Int { running }

    /// Runs `skill` on `input` once a slot is free.
    func execute(_ skill: SkillID, input: [UInt8]) async -> TaskOutcome {
        guard let implementation = skills[skill] else {
            return .failure(TaskFailure(.noProvider, "this node does not serve skill '\(skill)'"))
        }
        if running >= capacity {
            await withCheckedContinuation { waiters.append($0) }
        } else {
            running += 1
        }
        defer { release() }
        return await implementation.run(input)
    }

    private func release() {
        if waiters.isEmpty {
            running -= 1
        } else {
            // The slot passes straight to the next waiter: `running` stays the same.
            waiters.removeFirst().resume()
        }
    }
}
