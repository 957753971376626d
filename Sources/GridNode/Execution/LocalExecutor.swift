import GridCore
import NIOConcurrencyHelpers

/// Runs tasks on this node. Skills of the node itself (built-ins, commands, skills given in code)
/// share `capacity` places; each skill served by applications (``serve(_:skill:capacity:)``) has as
/// many places as its providers' capacities add up to, and each task goes to the provider with the
/// most free capacity (``ProviderPool``). Tasks beyond the places wait in a ``TaskQueue`` per pool
/// of places: by priority class, first in first out within a class, with aging so that low-priority
/// work is never starved, and two bounds: at most `maxQueued` tasks wait per pool, and each class
/// has its own bound (``TaskQueueSettings``). A task from a peer takes its place when it is
/// admitted (``reserve(skill:priority:)`` before the TaskAck), so an accepted task never finds the
/// queue full later, and the ack's queue position is its place by priority.
///
/// A place is taken synchronously (``reserve(skill:priority:)``, under a lock), so tasks queue in
/// the order their callers reserved them, not in the order their tasks happen to be scheduled; the
/// wait and the run are asynchronous (``run(_:_:)``).
final class LocalExecutor: Sendable {
    let skills: [SkillID: any Skill]
    let capacity: Int
    let maxQueued: Int
    let queueSettings: TaskQueueSettings
    /// Slows, stalls or falsifies runs when a test grid says so (``FaultPlan``).
    let faults: FaultSwitch

    /// A pool of places: the node's own, or one served skill's.
    enum Domain: Hashable, Sendable {
        case node
        case served(SkillID)
    }

    struct Places {
        var running = 0
        var queue: TaskQueue<SlotGrant>
        /// For a served skill: its providers. Nil for the node's own places.
        var pool: ProviderPool<ObjectIdentifier>?
        var providers: [ObjectIdentifier: any TaskProvider] = [:]
        /// For a served skill: the providers that serve it as deterministic.
        var deterministic: Set<ObjectIdentifier> = []

        func capacity(node: Int) -> Int { pool?.capacity ?? node }
    }

    struct State {
        var places: [Domain: Places]
        /// Queue entries are keyed by a number of this executor's own, not by task ID: two
        /// requesters may well use the same task ID.
        var lastWaiterID: UInt64 = 0
    }

    let state: NIOLockedValueBox<State>
    /// Yields whenever the set of skills this node serves changes (an application began or stopped
    /// serving one), so peers are told at once.
    let skillChanges: AsyncStream<Void>
    let skillChangesContinuation: AsyncStream<Void>.Continuation
    /// Yields when a slot became free with no task waiting for it, so the node's own waiting work
    /// may take it.
    let slotsFreed: AsyncStream<Void>
    let slotsFreedContinuation: AsyncStream<Void>.Continuation

    init(
        skills: [SkillID: any Skill], capacity: Int, maxQueued: Int, queue: TaskQueueSettings = .default,
        faults: FaultSwitch = FaultSwitch(allowed: false)
    ) {
        self.skills = skills
        self.faults = faults
        self.capacity = capacity
        self.maxQueued = maxQueued
        queueSettings = queue
        state = NIOLockedValueBox(State(places: [.node: Places(queue: TaskQueue(settings: queue))]))
        (skillChanges, skillChangesContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        (slotsFreed, slotsFreedContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func domain(of skill: SkillID) -> Domain { skills[skill] != nil ? .node : .served(skill) }

    /// Every skill this node serves now: its own and those applications serve.
    var servedSkills: Set<SkillID> {
        state.withLockedValue { state in
            var names = Set(skills.keys)
            for (domain, places) in state.places {
                if case .served(let skill) = domain, places.pool?.isServed == true { names.insert(skill) }
            }
            return names
        }
    }

    func serves(_ skill: SkillID) -> Bool {
        skills[skill] != nil || state.withLockedValue { $0.places[.served(skill)]?.pool?.isServed == true }
    }

    /// Tasks running now, on every pool of places.
    var load: Int { state.withLockedValue { $0.places.values.lazy.map(\.running).reduce(0, +) } }
    /// Tasks waiting for a place.
    var waiting: Int { state.withLockedValue { $0.places.values.lazy.map(\.queue.count).reduce(0, +) } }
    /// Tasks waiting for a place, per priority class.
    func waiting(_ priority: TaskPriority) -> Int {
        state.withLockedValue { $0.places.values.lazy.map { $0.queue.count(of: priority) }.reduce(0, +) }
    }
    /// Places in all: the node's own and every served skill's.
    var totalCapacity: Int { state.withLockedValue { $0.places.values.lazy.map { $0.capacity(node: self.capacity) }.reduce(0, +) } }

    /// What the router needs to know of `skill` here: places, running and waiting tasks.
    func occupancy(of skill: SkillID) -> (capacity: Int, running: Int, queued: Int) {
        occupancy(of: domain(of: skill))
    }

    func occupancy(of domain: Domain) -> (capacity: Int, running: Int, queued: Int) {
        state.withLockedValue { state in
            guard let places = state.places[domain] else { return (0, 0, 0) }
            return (places.capacity(node: capacity), places.running, places.queue.count)
        }
    }

    /// A place taken by ``reserve(skill:priority:)``.
    enum Reservation: Sendable {
        /// A slot is this task's now.
        case slot
        /// Queued: the grant resolves when a slot passes to it (or why not).
        case waiting(SlotGrant, TaskID)
        /// The queue for its priority is full, or nothing serves the skill.
        case refused(TaskFailure)
    }

    /// Takes a slot, or a place in the queue, at once: callers that reserve one after another queue
    /// in that order.
    func reserve(skill: SkillID, priority: UInt8) -> Reservation {
        let domain = domain(of: skill)
        return state.withLockedValue { state in
            guard var places = state.places[domain], domain == .node || places.pool?.isServed == true else {
                return .refused(TaskFailure(.noProvider, "this node does not serve skill '\(skill)'"))
            }
            defer { state.places[domain] = places }
            if places.running < places.capacity(node: capacity) {
                places.running += 1
                return .slot
            }
            guard places.queue.count < maxQueued else {
                return .refused(TaskFailure(
                    .queueFull,
                    "\(places.running) '\(skill)' tasks running and \(places.queue.count) waiting here, the limit (maxQueuedTasks); retry later or on another node"))
            }
            state.lastWaiterID += 1
            let id = Self.waiterID(state.lastWaiterID)
            let grant = SlotGrant()
            do {
                try places.queue.enqueue(grant, id: id, priority: TaskPriority(level: priority), now: .now)
            } catch {
                return .refused(TaskFailure(.queueFull, (error as? GridError)?.message ?? "\(error)"))
            }
            return .waiting(grant, id)
        }
    }

    /// Runs `job` once a slot is free (it reserves one first). Cancelled while it waits, it gives up
    /// its place and fails as timed out; cancelled while it runs, the skill is asked to stop. A full
    /// queue fails it at once as `queue_full`.
    func execute(_ job: SkillJob) async -> TaskOutcome {
        await run(job, reserve(skill: job.skill, priority: job.priority))
    }

    /// How many tasks would start before the one holding `reservation` (0: it runs now or next),
    /// by priority and aging as the queue stands.
    func queuePosition(_ reservation: Reservation, skill: SkillID) -> Int {
        guard case .waiting(_, let id) = reservation else { return 0 }
        let domain = domain(of: skill)
        return state.withLockedValue { $0.places[domain]?.queue.position(of: id, now: .now) } ?? 0
    }

    /// Gives back a reservation that will not run after all (its task was cancelled before it started).
    func abandon(_ reservation: Reservation, skill: SkillID) {
        switch reservation {
        case .slot: releaseSlot(domain(of: skill))
        case .waiting(_, let id): giveUp(id, skill: skill)
        case .refused: break
        }
    }

    /// Waits for the reserved place to become a slot, runs the task, and frees the slot. A task
    /// whose provider goes away before answering is handed to another provider of the skill.
    func run(_ job: SkillJob, _ reservation: Reservation) async -> TaskOutcome {
        var reservation = reservation
        while true {
            switch reservation {
            case .refused(let failure):
                return .failure(failure)
            case .waiting(let grant, let id):
                let resolution = await withTaskCancellationHandler {
                    await grant.wait()
                } onCancel: {
                    self.giveUp(id, skill: job.skill)
                }
                switch resolution {
                case .granted: break
                case .gaveUp: return .failure(TaskFailure(.timedOut, "the task's deadline passed while it waited for a free slot"))
                case .noProvider(let why): return .failure(TaskFailure(.noProvider, why))
                }
            case .slot:
                break
            }
            if let fault = faults.executorFault(for: job.skill), let failure = await suffer(fault, skill: job.skill) {
                releaseSlot(domain(of: job.skill))
                return .failure(failure)
            }
            if let skill = skills[job.skill] {
                defer { releaseSlot(.node) }
                job.onStart()
                return falsifiedIfLying(await skill.run(job.input, context: job.context), skill: job.skill)
            }
            switch await runOnProvider(job) {
            case .outcome(let outcome):
                return falsifiedIfLying(outcome, skill: job.skill)
            case .handedBack(let why):
                if Task.isCancelled { return .failure(TaskFailure(.cancelled, "the task was cancelled while its provider went away")) }
                // Another provider may take it; else it fails here as no_provider, and the
                // requester tries another node.
                reservation = reserve(skill: job.skill, priority: job.priority)
                if case .refused(let failure) = reservation, failure.code == .noProvider {
                    return .failure(TaskFailure(.noProvider, "\(why), and no other application on this node serves '\(job.skill)'"))
                }
            }
        }
    }

    /// Runs `job` on the provider with the most free capacity, holding the slot it was granted.
    private func runOnProvider(_ job: SkillJob) async -> ProviderAnswer {
        let domain = Domain.served(job.skill)
        let chosen = state.withLockedValue { state -> (ObjectIdentifier, any TaskProvider)? in
            guard let key = state.places[domain]?.pool?.take(), let provider = state.places[domain]?.providers[key] else { return nil }
            return (key, provider)
        }
        guard let (key, provider) = chosen else {
            releaseSlot(domain)
            return .handedBack("no application serving '\(job.skill)' had a free place")
        }
        job.onStart()
        let answer = await provider.run(job)
        state.withLockedValue { state in
            state.places[domain]?.pool?.release(key)
            if state.places[domain]?.pool?.providers[key] == nil {  // drained
                state.places[domain]?.providers[key] = nil
                state.places[domain]?.deterministic.remove(key)
            }
        }
        releaseSlot(domain)
        return answer
    }

    private func giveUp(_ id: TaskID, skill: SkillID) {
        let domain = domain(of: skill)
        let grant = state.withLockedValue { $0.places[domain]?.queue.cancel(id) }
        grant?.resolve(.gaveUp)  // nil: it got its slot already
    }

    /// Frees a slot: it passes straight to the next waiter while the pool has room for it.
    func releaseSlot(_ domain: Domain) {
        let next = state.withLockedValue { state -> SlotGrant? in
            guard var places = state.places[domain] else { return nil }
            defer { state.places[domain] = places }
            if places.running <= places.capacity(node: capacity), let next = places.queue.dequeue(now: .now) {
                return next.element  // the slot passes to it: `running` stays the same
            }
            places.running -= 1
            if case .served = domain, places.pool?.isEmpty == true, places.running == 0, places.queue.isEmpty {
                state.places[domain] = nil
                return nil
            }
            return nil
        }
        if let next { next.resolve(.granted) } else { slotsFreedContinuation.yield() }
    }

    static func waiterID(_ n: UInt64) -> TaskID {
        var bytes = [UInt8](repeating: 0, count: TaskID.byteCount)
        withUnsafeBytes(of: n.bigEndian) { for (i, b) in $0.enumerated() { bytes[8 + i] = b } }
        return TaskID(unchecked: bytes)
    }
}
