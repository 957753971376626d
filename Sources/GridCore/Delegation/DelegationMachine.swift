/// The delegation of one task, as a pure state machine: the coordinator feeds it events and carries
/// out the directives it returns.
///
/// First cut: candidates are tried in the router's order; a refusal or a lost peer moves on to the
/// next candidate at once, and one deadline covers the whole task. Backoff, ack timeouts and circuit
/// breakers belong to the delegation-coordinator issue.
public struct DelegationMachine: Sendable {
    public enum Directive: Sendable, Equatable {
        /// Run the task on this node.
        case executeLocally
        /// Send a signed TaskRequest to `peer`, telling it `deadline` remains.
        case sendRequest(to: NodeID, deadline: Duration)
        /// Call ``DelegationMachine/deadlineExpired(now:)`` at `at`.
        case scheduleDeadline(at: ContinuousClock.Instant)
        /// Tell `peer` (with a signed TaskCancel) that the task is no longer wanted.
        case cancelRemote(NodeID)
        /// Record in ``Experience`` how `node` did on this task's skill; `latency` when the work ran.
        case recordExperience(node: NodeID, ExperienceOutcome, latency: Duration?)
        /// The task is over: record and deliver `outcome`. Given exactly once.
        case complete(TaskOutcome, executor: NodeID?)
    }

    /// One try on one node, kept so a final failure can list them all.
    public struct Attempt: Sendable, Equatable {
        public var node: NodeID
        public var result: String

        public init(node: NodeID, result: String) {
            self.node = node
            self.result = result
        }
    }

    public enum State: Sendable, Equatable {
        case idle
        case runningLocally
        case awaitingAck(NodeID)
        case awaitingResult(NodeID)
        case finished
    }

    public let task: TaskSpec
    public let localNode: NodeID
    public private(set) var state: State = .idle
    public private(set) var attempts: [Attempt] = []
    private var remaining: [NodeID] = []
    private var deadline: ContinuousClock.Instant?
    /// When the current attempt started (the request was sent, or the local run began).
    private var attemptStartedAt: ContinuousClock.Instant?

    public init(task: TaskSpec, localNode: NodeID) {
        self.task = task
        self.localNode = localNode
    }

    /// Starts the task on the first of `candidates` (best first, as ranked by the router).
    public mutating func start(candidates: [NodeID], now: ContinuousClock.Instant) -> [Directive] {
        guard state == .idle else { return [] }
        guard !candidates.isEmpty else {
            state = .finished
            let failure = TaskFailure(
                .noProvider,
                "no node serves skill '\(task.skill)': start a node with --skills \(task.skill), or connect to one that has it")
            return [.complete(.failure(failure), executor: nil)]
        }
        let deadline = now.advanced(by: task.timeout)
        self.deadline = deadline
        remaining = candidates
        return [.scheduleDeadline(at: deadline)] + tryNext(now: now)
    }

    /// The local execution finished.
    public mutating func localCompleted(_ outcome: TaskOutcome, now: ContinuousClock.Instant) -> [Directive] {
        guard state == .runningLocally else { return [] }
        return [experience(localNode, outcome, now: now)] + finish(outcome, executor: localNode)
    }

    /// `peer` answered our TaskRequest.
    public mutating func ackReceived(
        from peer: NodeID, accepted: Bool, reason: String, now: ContinuousClock.Instant
    ) -> [Directive] {
        guard state == .awaitingAck(peer) else { return [] }
        if accepted {
            state = .awaitingResult(peer)
            return []
        }
        attempts.append(Attempt(node: peer, result: "refused: \(reason)"))
        return [.recordExperience(node: peer, .refusal, latency: nil)] + tryNext(now: now)
    }

    /// `peer` sent the task's result. A result that arrives before its ack counts as both.
    public mutating func resultReceived(from peer: NodeID, _ outcome: TaskOutcome, now: ContinuousClock.Instant) -> [Directive] {
        guard state == .awaitingResult(peer) || state == .awaitingAck(peer) else { return [] }
        return [experience(peer, outcome, now: now)] + finish(outcome, executor: peer)
    }

    /// The connection to `peer` closed. Moves on if the task was waiting on it.
    public mutating func peerLost(_ peer: NodeID, now: ContinuousClock.Instant) -> [Directive] {
        guard state == .awaitingAck(peer) || state == .awaitingResult(peer) else { return [] }
        attempts.append(Attempt(node: peer, result: "connection lost"))
        return [.recordExperience(node: peer, .failure, latency: nil)] + tryNext(now: now)
    }

    /// The task's deadline passed.
    public mutating func deadlineExpired(now: ContinuousClock.Instant) -> [Directive] {
        guard state != .finished, state != .idle, let deadline, now >= deadline else { return [] }
        let failure = TaskFailure(
            .timedOut,
            "task \(task.id) got no result within \(Self.format(task.timeout)); retry with a longer timeout")
        let cancel: [Directive] = switch state {
        case .awaitingAck(let peer), .awaitingResult(let peer):
            [.recordExperience(node: peer, .timeout, latency: nil), .cancelRemote(peer)]
        case .runningLocally: [.recordExperience(node: localNode, .timeout, latency: nil)]
        default: []
        }
        return cancel + finish(.failure(failure), executor: nil)
    }

    private mutating func tryNext(now: ContinuousClock.Instant) -> [Directive] {
        guard !remaining.isEmpty else {
            let tried = attempts.map { "\($0.node.short): \($0.result)" }.joined(separator: "; ")
            let failure = TaskFailure(
                .allCandidatesFailed,
                "every node that serves '\(task.skill)' failed the task (\(tried)); retry later")
            return finish(.failure(failure), executor: nil)
        }
        let next = remaining.removeFirst()
        attemptStartedAt = now
        if next == localNode {
            state = .runningLocally
            return [.executeLocally]
        }
        state = .awaitingAck(next)
        let left = deadline.map { now.duration(to: $0) } ?? task.timeout
        return [.sendRequest(to: next, deadline: max(left, .zero))]
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
            case .noProvider, .allCandidatesFailed, .internal, .cancelled, .noQuorum: return .recordExperience(node: node, .failure, latency: nil)
            }
        }
    }

    private mutating func finish(_ outcome: TaskOutcome, executor: NodeID?) -> [Directive] {
        state = .finished
        return [.complete(outcome, executor: executor)]
    }

    private static func format(_ duration: Duration) -> String {
        let ms = duration.milliseconds
        return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(ms) ms"
    }
}
