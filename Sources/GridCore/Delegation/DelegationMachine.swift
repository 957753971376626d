/// The delegation of one task (one replica of it), as a pure state machine: the coordinator feeds
/// it events and carries out the directives it returns (docs/TASKS.md has the states).
///
/// The candidates come from the router, best first, this node among them when it can run the
/// task (local-first with spillback). An attempt that fails for a reason worth retrying — a
/// refusal, no ack within the ack timeout, a lost connection, a failure the executor reports as
/// its own — is retried after a backoff with full jitter (``RetryPolicy``), on a fresh ranking
/// (``Directive/route``): the best candidate that has not failed the task yet, or, when every one
/// has, the one that failed longest ago. An application error is final unless the task asks. One
/// deadline covers the task and all its retries.
///
/// **Waiting for capacity.** A node that has no room (a busy refusal, or a result saying its queue
/// was full) has not failed: the machine waits for capacity (``State/waitingForCapacity``,
/// ``Directive/awaitCapacity``) without spending a retry or recording experience against it, and
/// so does a task whose ranking offers no node with room while some provider exists
/// (`providersBusy`). The shell parks it (``PlacementQueue``) and calls ``routed(_:providersBusy:ackTimeouts:resultTimeouts:now:)``
/// when a node has room. Only its deadline ends the wait, as `timed_out` saying it waited for
/// capacity. A refusal that cannot change for this task (``Refusal/permanent(_:)``: unknown skill,
/// too large, untrusted, malformed) rules that node out for the task.
public struct DelegationMachine: Sendable {
    public enum Directive: Sendable, Equatable {
        /// Rank the candidates afresh and pass them to ``DelegationMachine/routed(_:now:)``.
        case route
        /// Run the task on this node.
        case executeLocally
        /// Send a signed TaskRequest to `peer`, telling it `deadline` remains.
        case sendRequest(to: NodeID, deadline: Duration)
        /// Call ``DelegationMachine/timerFired(_:now:)`` with `timer` at `at`.
        case scheduleTimer(Timer, at: ContinuousClock.Instant)
        /// Tell `peer` (with a signed TaskCancel) that the task is no longer wanted from it.
        case cancelRemote(NodeID, reason: String)
        /// Record in ``Experience`` how `node` did on this task's skill; `latency` when the work ran.
        case recordExperience(node: NodeID, ExperienceOutcome, latency: Duration?)
        /// The task is over: record and deliver `outcome`. Given exactly once.
        case complete(TaskOutcome, executor: NodeID?)
        /// No node has room now: park the task until one may, then call ``DelegationMachine/routed(_:providersBusy:ackTimeouts:resultTimeouts:now:)``.
        case awaitCapacity
        /// `node` said it has no room (a busy refusal or a full queue): not a failure; hold back
        /// from it for a while.
        case peerBusy(NodeID)
    }

    /// Why a node refused a TaskRequest, as far as the machine cares.
    public enum Refusal: Sendable, Equatable {
        /// No room now (busy, queue full, shutting down): the task waits for capacity.
        case busy(String)
        /// Will not change for this task (unknown skill, too large, untrusted, malformed): that node
        /// is never asked again for it.
        case permanent(String)
        /// Anything else (the deadline had passed on arrival, an unknown reason): an ordinary
        /// failed attempt.
        case transient(String)
    }

    /// The machine's timers. Each carries the attempt it was set for, so a timer that fires after
    /// its attempt ended is ignored.
    public enum Timer: Sendable, Equatable, Hashable {
        case deadline
        case ackTimeout(attempt: Int)
        /// An accepted task's result is overdue (set only from a peer's observed result times).
        case resultTimeout(attempt: Int)
        case retry(attempt: Int)
    }

    /// One try on one node, kept so a final failure can list them all and the store can show them.
    public struct Attempt: Sendable, Equatable {
        public var node: NodeID
        public var result: String
        /// From the request (or the local run's start) to the attempt's end.
        public var latency: Duration?

        public init(node: NodeID, result: String, latency: Duration? = nil) {
            self.node = node
            self.result = result
            self.latency = latency
        }
    }

    public enum State: Sendable, Equatable {
        case idle
        case runningLocally
        case awaitingAck(NodeID)
        case awaitingResult(NodeID)
        /// Waiting for the retry timer, or for a fresh ranking.
        case retrying
        /// Parked until a node has room (``Directive/awaitCapacity``).
        case waitingForCapacity
        case finished
    }

    public let task: TaskSpec
    public let localNode: NodeID
    public let policy: RetryPolicy
    public private(set) var state: State = .idle
    public private(set) var attempts: [Attempt] = []
    private var deadline: ContinuousClock.Instant?
    /// When the current attempt started (the request was sent, or the local run began).
    private var attemptStartedAt: ContinuousClock.Instant?
    /// Nodes that failed this task, in the order they failed.
    private var failedNodes: [NodeID] = []
    /// Nodes whose refusal cannot change for this task (``Refusal/permanent(_:)``).
    private var ruledOut: Set<NodeID> = []
    /// Busy refusals met while placing the task, and the last one, for the message if time runs out.
    public private(set) var busyRefusals = 0
    private var lastBusy: String?
    /// When the task first had to wait for capacity.
    private var waitingSince: ContinuousClock.Instant?
    /// Per-peer ack timeouts given with the latest ranking.
    private var ackTimeouts: [NodeID: Duration] = [:]
    /// Per-peer result timeouts (from send to result) given with the latest ranking; a peer with
    /// none has only the deadline.
    private var resultTimeouts: [NodeID: Duration] = [:]
    private var rng: SplitMix64

    /// - Parameter seed: seeds the backoff jitter (the shell draws it from a real source; tests fix it).
    public init(task: TaskSpec, localNode: NodeID, policy: RetryPolicy = .default, seed: UInt64 = 0) {
        self.task = task
        self.localNode = localNode
        self.policy = policy
        rng = SplitMix64(seed: seed)
    }

    /// Starts the task on the best of `candidates` (ranked by the router: nodes with room now). With
    /// none, it waits for capacity when `providersBusy` (some node serves the skill but has no room),
    /// else fails as `no_provider`.
    ///
    /// - Parameter deadline: when the task's time is up; default `now` + its timeout (a task
    ///   recovered after a restart, or one that waited before it started, passes its own).
    public mutating func start(
        candidates: [NodeID], providersBusy: Bool = false, deadline: ContinuousClock.Instant? = nil,
        ackTimeouts: [NodeID: Duration] = [:], resultTimeouts: [NodeID: Duration] = [:], now: ContinuousClock.Instant
    ) -> [Directive] {
        guard state == .idle else { return [] }
        self.resultTimeouts = resultTimeouts
        guard !candidates.isEmpty || providersBusy else {
            state = .finished
            let failure = TaskFailure(
                .noProvider,
                "no node serves skill '\(task.skill)': serve it (gridnode serve \(task.skill) -- COMMAND, an application, or --skills for a built-in), or connect to a node that has it")
            return [.complete(.failure(failure), executor: nil)]
        }
        let deadline = deadline ?? now.advanced(by: task.timeout)
        self.deadline = deadline
        self.ackTimeouts = ackTimeouts
        let first = candidates.first.map { attempt(on: $0, now: now) } ?? waitForCapacity(now: now)
        return [.scheduleTimer(.deadline, at: deadline)] + first
    }

    /// A fresh ranking: asked for by ``Directive/route`` before a retry, or given by the shell to a
    /// task waiting for capacity. `candidates` are the nodes with room now; `providersBusy` says
    /// whether others serve the skill but have no room (then, with no usable candidate, the task
    /// waits instead of failing).
    public mutating func routed(
        _ candidates: [NodeID], providersBusy: Bool = false, ackTimeouts: [NodeID: Duration] = [:],
        resultTimeouts: [NodeID: Duration] = [:], now: ContinuousClock.Instant
    ) -> [Directive] {
        guard (state == .retrying && !retryPending) || state == .waitingForCapacity else { return [] }
        self.ackTimeouts = ackTimeouts
        self.resultTimeouts = resultTimeouts
        // The best candidate that has not failed the task; else the one that failed longest ago
        // (it may have recovered) among those still offered. Never one that ruled itself out.
        let usable = candidates.filter { !ruledOut.contains($0) }
        let next = usable.first { !failedNodes.contains($0) } ?? failedNodes.first { usable.contains($0) }
        guard let next else {
            if providersBusy { return waitForCapacity(now: now) }
            return finish(.failure(allFailed("no node that serves '\(task.skill)' is left to try")), executor: nil)
        }
        return attempt(on: next, now: now)
    }

    /// The local execution finished.
    public mutating func localCompleted(_ outcome: TaskOutcome, now: ContinuousClock.Instant) -> [Directive] {
        guard state == .runningLocally else { return [] }
        return settle(localNode, outcome, now: now)
    }

    /// `peer` answered our TaskRequest: accepted (`refusal` nil), or refused.
    public mutating func ackReceived(from peer: NodeID, refusal: Refusal?, now: ContinuousClock.Instant) -> [Directive] {
        guard state == .awaitingAck(peer) else { return [] }
        if refusal == nil {
            state = .awaitingResult(peer)
            // A result overdue by the peer's own record is retried elsewhere while time is left.
            if let timeout = resultTimeouts[peer], let started = attemptStartedAt, let deadline,
                started.advanced(by: timeout) < deadline
            {
                return [.scheduleTimer(.resultTimeout(attempt: attempts.count), at: started.advanced(by: timeout))]
            }
            return []
        }
        switch refusal {
        case .busy(let why)?:
            return busy(peer, why, now: now)
        case .permanent(let why)?:
            ruledOut.insert(peer)
            return [.recordExperience(node: peer, .refusal, latency: nil)] + failed(peer, "refused: \(why)", now: now)
        case .transient(let why)?:
            return [.recordExperience(node: peer, .refusal, latency: nil)] + failed(peer, "refused: \(why)", now: now)
        case nil:
            return []
        }
    }

    /// `peer` sent the task's result. A result that arrives before its ack counts as both.
    public mutating func resultReceived(from peer: NodeID, _ outcome: TaskOutcome, now: ContinuousClock.Instant) -> [Directive] {
        guard state == .awaitingResult(peer) || state == .awaitingAck(peer) else { return [] }
        return settle(peer, outcome, now: now)
    }

    /// The connection to `peer` closed (or a request to it could not be sent).
    public mutating func peerLost(_ peer: NodeID, now: ContinuousClock.Instant) -> [Directive] {
        guard state == .awaitingAck(peer) || state == .awaitingResult(peer) else { return [] }
        return [.recordExperience(node: peer, .failure, latency: nil)] + failed(peer, "connection lost", now: now)
    }

    /// The application cancelled the task.
    public mutating func cancel(now: ContinuousClock.Instant) -> [Directive] {
        guard state != .finished, state != .idle else { return [] }
        let stop: [Directive] = switch state {
        case .awaitingAck(let peer), .awaitingResult(let peer): [.cancelRemote(peer, reason: "the application cancelled the task")]
        default: []
        }
        endAbandonedAttempt("cancelled", now: now)
        return stop + finish(.failure(TaskFailure(.cancelled, "task \(task.id) was cancelled by the application")), executor: nil)
    }

    /// The node is stopping with the task unfinished: it is handed back, not ended. A peer holding
    /// it is told to stop; nothing is completed (the task stays journaled and resumes at the next
    /// start), and the machine takes no further input.
    public mutating func handBack(now: ContinuousClock.Instant) -> [Directive] {
        guard state != .finished, state != .idle else { return [] }
        let stop: [Directive] = switch state {
        case .awaitingAck(let peer), .awaitingResult(let peer):
            [.cancelRemote(peer, reason: "the requester is shutting down; it sends the task again when it restarts")]
        default: []
        }
        state = .finished
        retryPending = false
        return stop
    }

    /// A timer set by ``Directive/scheduleTimer(_:at:)`` fired.
    public mutating func timerFired(_ timer: Timer, now: ContinuousClock.Instant) -> [Directive] {
        switch timer {
        case .deadline:
            return deadlineExpired(now: now)
        case .ackTimeout(let number):
            guard number == attempts.count, case .awaitingAck(let peer) = state else { return [] }
            let waited = attemptStartedAt.map { Self.format($0.duration(to: now)) } ?? "the ack timeout"
            return [.recordExperience(node: peer, .timeout, latency: nil), .cancelRemote(peer, reason: "no ack within \(waited)")]
                + failed(peer, "no ack within \(waited)", now: now)
        case .resultTimeout(let number):
            guard number == attempts.count, case .awaitingResult(let peer) = state else { return [] }
            let waited = attemptStartedAt.map { Self.format($0.duration(to: now)) } ?? "its result timeout"
            return [.recordExperience(node: peer, .timeout, latency: nil), .cancelRemote(peer, reason: "no result within \(waited)")]
                + failed(peer, "no result within \(waited)", now: now)
        case .retry(let number):
            guard number == attempts.count, state == .retrying, retryPending else { return [] }
            retryPending = false
            return [.route]
        }
    }

    /// The task's deadline passed (also reachable as ``timerFired(_:now:)`` with `.deadline`).
    public mutating func deadlineExpired(now: ContinuousClock.Instant) -> [Directive] {
        guard state != .finished, state != .idle, let deadline, now >= deadline else { return [] }
        let tried = attempts.isEmpty ? "" : " (tried: \(attempts.map { "\($0.node.short): \($0.result)" }.joined(separator: "; ")))"
        let failure: TaskFailure
        if state == .waitingForCapacity {
            let waited = waitingSince.map { Self.format($0.duration(to: now)) } ?? "its whole timeout"
            let busy = lastBusy.map { "; \(busyRefusals) busy refusals, the last from \($0)" } ?? ""
            failure = TaskFailure(
                .timedOut,
                "task \(task.id) waited \(waited) for a node with room to run '\(task.skill)' and its deadline passed\(busy)\(tried); "
                    + "retry with a longer timeout, or add capacity for '\(task.skill)' to the grid")
        } else {
            failure = TaskFailure(
                .timedOut, "task \(task.id) got no result within \(Self.format(task.timeout))\(tried); retry with a longer timeout")
        }
        let stop: [Directive] = switch state {
        case .awaitingAck(let peer), .awaitingResult(let peer):
            [.recordExperience(node: peer, .timeout, latency: nil), .cancelRemote(peer, reason: "the requester's deadline passed")]
        case .runningLocally: [.recordExperience(node: localNode, .timeout, latency: nil)]
        default: []
        }
        endAbandonedAttempt("timed out", now: now)
        return stop + finish(.failure(failure), executor: nil)
    }

    // MARK: - Attempts

    /// Lists the attempt under way, if any, as ended with `result` (the task ended around it).
    private mutating func endAbandonedAttempt(_ result: String, now: ContinuousClock.Instant) {
        let node: NodeID? = switch state {
        case .awaitingAck(let peer), .awaitingResult(let peer): peer
        case .runningLocally: localNode
        default: nil
        }
        if let node { attempts.append(Attempt(node: node, result: result, latency: attemptStartedAt.map { $0.duration(to: now) })) }
    }

    /// Whether a retry timer is set and has not fired yet.
    private var retryPending = false

    private mutating func attempt(on node: NodeID, now: ContinuousClock.Instant) -> [Directive] {
        attemptStartedAt = now
        if node == localNode {
            state = .runningLocally
            return [.executeLocally]
        }
        state = .awaitingAck(node)
        let left = deadline.map { now.duration(to: $0) } ?? task.timeout
        let ackTimeout = ackTimeouts[node] ?? policy.ackTimeout
        let send = Directive.sendRequest(to: node, deadline: max(left, .zero))
        // An ack timeout at or past the deadline could not lead to a retry: the deadline covers it.
        guard ackTimeout < left else { return [send] }
        return [send, .scheduleTimer(.ackTimeout(attempt: attempts.count), at: now.advanced(by: ackTimeout))]
    }

    /// The attempt on `node` produced `outcome`: finish, or retry a failure worth retrying.
    private mutating func settle(_ node: NodeID, _ outcome: TaskOutcome, now: ContinuousClock.Instant) -> [Directive] {
        if case .failure(let failure) = outcome, failure.code == .queueFull {
            return busy(node, failure.message, now: now)  // it had no room after all: not its failure
        }
        let record = experience(node, outcome, now: now)
        guard case .failure(let failure) = outcome, isRetried(failure.code) else {
            attempts.append(Attempt(
                node: node, result: outcome.isSuccess ? "succeeded" : "failed: \(Self.short(outcome))",
                latency: attemptStartedAt.map { $0.duration(to: now) }))
            return [record] + finish(outcome, executor: node)
        }
        return [record] + failed(node, "failed: \(failure.message)", now: now)
    }

    private func isRetried(_ code: TaskFailure.Code) -> Bool {
        switch code {
        case .internal, .allCandidatesFailed, .noProvider, .queueFull: true
        case .skillFailed, .invalidInput, .tooLarge: task.retryApplicationErrors
        case .timedOut, .cancelled, .noQuorum: false
        }
    }

    /// The attempt on `node` failed: retry after a backoff, or give up listing every attempt.
    private mutating func failed(_ node: NodeID, _ result: String, now: ContinuousClock.Instant) -> [Directive] {
        attempts.append(Attempt(node: node, result: result, latency: attemptStartedAt.map { $0.duration(to: now) }))
        failedNodes.removeAll { $0 == node }
        failedNodes.append(node)
        let retries = attempts.count - 1
        guard retries < policy.maxRetries else {
            return finish(.failure(allFailed("\(attempts.count) attempts failed")), executor: nil)
        }
        let delay = policy.backoff.delay(attempt: retries, using: &rng)
        if let deadline, now.advanced(by: delay) >= deadline {
            return finish(.failure(allFailed("no time is left for a retry before the deadline")), executor: nil)
        }
        state = .retrying
        retryPending = true
        return [.scheduleTimer(.retry(attempt: attempts.count), at: now.advanced(by: delay))]
    }

    /// `node` had no room: wait for capacity, holding back from it for a while.
    private mutating func busy(_ node: NodeID, _ why: String, now: ContinuousClock.Instant) -> [Directive] {
        busyRefusals += 1
        lastBusy = "\(node.short): \(why)"
        return [.peerBusy(node)] + waitForCapacity(now: now)
    }

    private mutating func waitForCapacity(now: ContinuousClock.Instant) -> [Directive] {
        state = .waitingForCapacity
        retryPending = false
        attemptStartedAt = nil
        if waitingSince == nil { waitingSince = now }
        return [.awaitCapacity]
    }

    /// The final failure, listing every attempt.
    private func allFailed(_ why: String) -> TaskFailure {
        let tried = attempts.map { "\($0.node.short): \($0.result)" }.joined(separator: "; ")
        return TaskFailure(.allCandidatesFailed, "'\(task.skill)' failed on every node tried, \(why) (\(tried)); retry later")
    }

    /// How an attempt that produced `outcome` counts as experience, with the attempt's latency.
    private func experience(_ node: NodeID, _ outcome: TaskOutcome, now: ContinuousClock.Instant) -> Directive {
        let latency = attemptStartedAt.map { $0.duration(to: now) }
        switch outcome {
        case .success:
            return .recordExperience(node: node, .success, latency: latency)
        case .failure(let failure):
            switch failure.code {
            case .skillFailed, .invalidInput, .tooLarge: return .recordExperience(node: node, .applicationError, latency: latency)
            case .timedOut: return .recordExperience(node: node, .timeout, latency: nil)
            case .noProvider, .allCandidatesFailed, .internal, .cancelled, .noQuorum:
                return .recordExperience(node: node, .failure, latency: nil)
            case .queueFull:
                return .recordExperience(node: node, .refusal, latency: nil)
            }
        }
    }

    private mutating func finish(_ outcome: TaskOutcome, executor: NodeID?) -> [Directive] {
        state = .finished
        retryPending = false
        return [.complete(outcome, executor: executor)]
    }

    private static func short(_ outcome: TaskOutcome) -> String {
        if case .failure(let failure) = outcome { return failure.code.rawValue }
        return "ok"
    }

    static func format(_ duration: Duration) -> String {
        let ms = duration.milliseconds
        return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(ms) ms"
    }
}
