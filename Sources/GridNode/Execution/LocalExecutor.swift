import GridCore
import NIOConcurrencyHelpers

/// Runs skills on this node, at most `capacity` at once. Further tasks wait in a ``TaskQueue``:
/// by priority class, first in first out within a class, with aging so that low-priority work is
/// never starved, and a bound per class (``TaskQueueSettings``). Tasks from peers are admitted only
/// while fewer than `maxQueued` would wait, counting those admitted but not started yet, so the
/// bound holds however many requests arrive at once.
///
/// A place is taken synchronously (``reserve(priority:)``, under a lock), so tasks queue in the
/// order their callers reserved them, not in the order their tasks happen to be scheduled; the
/// wait and the run are asynchronous (``run(_:input:_:)``).
final class LocalExecutor: Sendable {
    let skills: [SkillID: any Skill]
    let capacity: Int
    let maxQueued: Int

    private struct State {
        var running = 0
        /// Admitted by ``admit()`` and not yet passed to ``execute(_:input:priority:admitted:)``.
        var reserved = 0
        var queue: TaskQueue<SlotGrant>
        /// Queue entries are keyed by a number of this executor's own, not by task ID: two
        /// requesters may well use the same task ID.
        var lastWaiterID: UInt64 = 0
    }

    private let state: NIOLockedValueBox<State>

    init(skills: [SkillID: any Skill], capacity: Int, maxQueued: Int, queue: TaskQueueSettings = .default) {
        self.skills = skills
        self.capacity = capacity
        self.maxQueued = maxQueued
        state = NIOLockedValueBox(State(queue: TaskQueue(settings: queue)))
    }

    enum Admission: Equatable {
        /// `queuePosition`: tasks waiting ahead of this one (0: it starts now or next).
        case accepted(queuePosition: Int)
        case busy(String)
    }

    /// Whether a task from a peer may run here (the TaskAck's answer). An accepted task holds its
    /// place until it is passed to ``execute(_:input:priority:admitted:)`` with `admitted: true`.
    func admit() async -> Admission {
        state.withLockedValue { state in
            let ahead = state.running + state.queue.count + state.reserved
            guard ahead < capacity + maxQueued else {
                return .busy(
                    "\(state.running) tasks running and \(state.queue.count + state.reserved) waiting (the limit); retry later or on another node")
            }
            state.reserved += 1
            return .accepted(queuePosition: max(0, ahead - capacity))
        }
    }

    /// Gives back places reserved by ``admit()`` for tasks that will not run after all.
    func release(admitted count: Int) async {
        state.withLockedValue { $0.reserved -= count }
    }

    var load: Int { get async { state.withLockedValue { $0.running } } }
    /// Tasks waiting for a slot.
    var waiting: Int { get async { state.withLockedValue { $0.queue.count } } }
    /// Tasks waiting for a slot, per priority class.
    func waiting(_ priority: TaskPriority) async -> Int { state.withLockedValue { $0.queue.count(of: priority) } }

    /// A place taken by ``reserve(priority:)``.
    enum Reservation: Sendable {
        /// A slot is this task's now.
        case slot
        /// Queued: the grant resolves when a slot passes to it (or false when it gives up).
        case waiting(SlotGrant, TaskID)
        /// The queue for its priority is full.
        case full(String)
    }

    /// Takes a slot, or a place in the queue, at once: callers that reserve one after another queue
    /// in that order.
    func reserve(priority: UInt8) -> Reservation {
        state.withLockedValue { state in
            if state.running < capacity {
                state.running += 1
                return .slot
            }
            state.lastWaiterID += 1
            let id = Self.waiterID(state.lastWaiterID)
            let grant = SlotGrant()
            do {
                try state.queue.enqueue(grant, id: id, priority: TaskPriority(level: priority), now: .now)
            } catch {
                return .full((error as? GridError)?.message ?? "\(error)")
            }
            return .waiting(grant, id)
        }
    }

    /// Runs `skill` on `input` once a slot is free; `priority` (0-255) orders the wait. Cancelled
    /// while it waits, it gives up its place and fails as timed out; cancelled while it runs, the
    /// skill is asked to stop. A full queue for its priority fails it at once as `queue_full`.
    func execute(
        _ skill: SkillID, input: [UInt8], priority: UInt8 = TaskSpec.defaultPriority, admitted: Bool = false
    ) async -> TaskOutcome {
        if admitted { state.withLockedValue { $0.reserved -= 1 } }
        guard skills[skill] != nil else {
            return .failure(TaskFailure(.noProvider, "this node does not serve skill '\(skill)'"))
        }
        return await run(skill, input: input, reserve(priority: priority))
    }

    /// Waits for the reserved place to become a slot, runs the skill, and frees the slot.
    func run(_ skill: SkillID, input: [UInt8], _ reservation: Reservation) async -> TaskOutcome {
        switch reservation {
        case .full(let message):
            return .failure(TaskFailure(.queueFull, message))
        case .waiting(let grant, let id):
            let granted = await withTaskCancellationHandler {
                await grant.wait()
            } onCancel: {
                self.giveUp(id)
            }
            guard granted else {
                return .failure(TaskFailure(.timedOut, "the task's deadline passed while it waited for a free slot"))
            }
        case .slot:
            break
        }
        defer { releaseSlot() }
        guard let implementation = skills[skill] else {
            return .failure(TaskFailure(.noProvider, "this node does not serve skill '\(skill)'"))
        }
        return await implementation.run(input)
    }

    private func giveUp(_ id: TaskID) {
        let grant = state.withLockedValue { $0.queue.cancel(id) }
        grant?.resolve(false)  // nil: it got its slot already
    }

    private func releaseSlot() {
        let next = state.withLockedValue { state -> SlotGrant? in
            if let next = state.queue.dequeue(now: .now) {
                return next.element  // the slot passes straight to it: `running` stays the same
            }
            state.running -= 1
            return nil
        }
        next?.resolve(true)
    }

    private static func waiterID(_ n: UInt64) -> TaskID {
        var bytes = [UInt8](repeating: 0, count: TaskID.byteCount)
        withUnsafeBytes(of: n.bigEndian) { for (i, b) in $0.enumerated() { bytes[8 + i] = b } }
        return TaskID(unchecked: bytes)
    }
}

/// A queued task's claim on a slot: resolved true when a slot passes to it, false when it gives up.
final class SlotGrant: Sendable {
    private let state = NIOLockedValueBox<(granted: Bool?, waiter: CheckedContinuation<Bool, Never>?)>((nil, nil))

    func resolve(_ granted: Bool) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
            guard state.granted == nil else { return nil }
            state.granted = granted
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: granted)
    }

    func wait() async -> Bool {
        await withCheckedContinuation { continuation in
            let granted = state.withLockedValue { state -> Bool? in
                if let granted = state.granted { return granted }
                state.waiter = continuation
                return nil
            }
            if let granted { continuation.resume(returning: granted) }
        }
    }
}
