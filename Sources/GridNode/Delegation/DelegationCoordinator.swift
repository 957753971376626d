import Foundation
import GridCore
import GridWire
import Logging

/// Runs each submitted task's ``DelegationMachine``: feeds it acks, results, lost peers and its
/// deadline, and carries out what it decides — run here, send to a peer, record, reply.
actor DelegationCoordinator {
    /// How a task ended, and who produced the outcome.
    struct Completion: Sendable {
        var outcome: TaskOutcome
        var executor: NodeID?
    }

    private struct Inflight {
        var machine: DelegationMachine
        var waiters: [CheckedContinuation<Completion, Never>] = []
        var deadlineTimer: Task<Void, Never>?
        /// The local run, cancelled if the task ends another way (its deadline passes).
        var localRun: Task<Void, Never>?
    }

    private let node: NodeContext
    private var inflight: [TaskID: Inflight] = [:]
    /// The last send to each peer: each new send waits for it, so a TaskCancel can never overtake
    /// the TaskRequest it cancels.
    private var sendChains: [NodeID: Task<Void, Never>] = [:]

    init(node: NodeContext) {
        self.node = node
    }

    /// Accepts `spec`: recorded in the store before any work starts, then routed and started.
    /// Throws only when the task could not be recorded (it is then not accepted).
    func submit(_ spec: TaskSpec) async throws(GridError) {
        try node.database.recordSubmitted(spec, atMs: WallClock.nowMs())
        let route = await node.route(spec.skill)
        var machine = DelegationMachine(task: spec, localNode: node.nodeID)
        let directives = machine.start(candidates: route.nodes, now: .now)
        inflight[spec.id] = Inflight(machine: machine)
        perform(directives, for: spec.id)
    }

    /// Waits for the task's outcome; nil when the task is not in flight (it ended already, or was
    /// never submitted here): the store has its record then.
    func completion(of id: TaskID) async -> Completion? {
        guard inflight[id] != nil else { return nil }
        return await withCheckedContinuation { inflight[id]?.waiters.append($0) }
    }

    func ackReceived(_ ack: Grid_V1_TaskAck, from peer: NodeID) {
        guard let id = try? TaskID(bytes: Array(ack.taskID)) else { return }
        let reason = ack.accepted ? "" : "\(ack.reason.name): \(ack.message)"
        update(id) { $0.ackReceived(from: peer, accepted: ack.accepted, reason: reason, now: .now) }
    }

    func resultReceived(_ result: Grid_V1_TaskResult, from peer: NodeID) {
        guard let id = try? TaskID(bytes: Array(result.taskID)) else { return }
        update(id) { $0.resultReceived(from: peer, result.taskOutcome, now: .now) }
    }

    /// A peer's connection closed: every task waiting on it moves on.
    func peerLost(_ peer: NodeID) {
        sendChains[peer] = nil
        for id in Array(inflight.keys) {
            update(id) { $0.peerLost(peer, now: .now) }
        }
    }

    private func localCompleted(_ id: TaskID, _ outcome: TaskOutcome) {
        update(id) { $0.localCompleted(outcome, now: .now) }
    }

    private func deadlineExpired(_ id: TaskID) {
        update(id) { $0.deadlineExpired(now: .now) }
    }

    private func sendFailed(_ id: TaskID, to peer: NodeID) {
        update(id) { $0.peerLost(peer, now: .now) }
    }

    private func update(_ id: TaskID, _ event: (inout DelegationMachine) -> [DelegationMachine.Directive]) {
        guard var entry = inflight[id] else { return }  // finished already: duplicates are ignored
        let directives = event(&entry.machine)
        inflight[id] = entry
        perform(directives, for: id)
    }

    private func perform(_ directives: [DelegationMachine.Directive], for id: TaskID) {
        guard let task = inflight[id]?.machine.task else { return }
        for directive in directives {
            switch directive {
            case .executeLocally:
                let executor = node.executor
                inflight[id]?.localRun = Task { [weak self] in
                    let outcome = await executor.execute(task.skill, input: task.input)
                    await self?.localCompleted(id, outcome)
                }
            case .sendRequest(let peer, let deadline):
                send(task, to: peer, deadline: deadline)
            case .cancelRemote(let peer):
                cancel(task, on: peer)
            case .scheduleDeadline(let instant):
                inflight[id]?.deadlineTimer = Task { [weak self] in
                    guard (try? await Task.sleep(until: instant, clock: .continuous)) != nil else { return }
                    await self?.deadlineExpired(id)
                }
            case .recordExperience(let peer, let outcome, let latency):
                let reputation = node.reputation
                Task { await reputation.record(outcome, node: peer, skill: task.skill, latency: latency) }
            case .complete(let outcome, let executor):
                complete(id, outcome, executor: executor)
            }
        }
    }

    private func send(_ task: TaskSpec, to peer: NodeID, deadline: Duration) {
        var request = Grid_V1_TaskRequest()
        request.taskID = Data(task.id.bytes)
        request.skill = task.skill.name
        request.input = Data(task.input)
        request.deadlineMs = UInt32(clamping: deadline.milliseconds)
        request.priority = UInt32(task.priority)
        enqueueSend(request, to: peer) { [weak self] error in
            self?.node.logger.info("could not send task \(task.id) to \(peer.short): \(error)")
            await self?.sendFailed(task.id, to: peer)
        }
    }

    /// Signs and sends `message` to `peer` after every earlier send to it.
    private func enqueueSend<M: WireMessage>(
        _ message: M, to peer: NodeID, onFailure: @escaping @Sendable (any Error) async -> Void = { _ in }
    ) {
        let node = node
        let previous = sendChains[peer]
        sendChains[peer] = Task {
            await previous?.value
            do {
                guard let session = await node.peers.session(for: peer) else {
                    throw GridError(.invalidArgument, "not connected")
                }
                try await session.send(node.sealed(message))
            } catch {
                await onFailure(error)
            }
        }
    }

    private func cancel(_ task: TaskSpec, on peer: NodeID) {
        var cancel = Grid_V1_TaskCancel()
        cancel.taskID = Data(task.id.bytes)
        cancel.reason = "the requester's deadline passed"
        enqueueSend(cancel, to: peer)
    }

    private func complete(_ id: TaskID, _ outcome: TaskOutcome, executor: NodeID?) {
        guard let entry = inflight.removeValue(forKey: id) else { return }
        entry.deadlineTimer?.cancel()
        entry.localRun?.cancel()
        do {
            try node.database.recordOutcome(id, outcome, executor: executor, atMs: WallClock.nowMs())
        } catch {
            node.logger.error("task \(id) finished but its outcome could not be stored: \(error.message)")
        }
        if case .failure(let failure) = outcome {
            node.logger.info("task \(id) (\(entry.machine.task.skill)) failed: \(failure.message)")
        }
        let completion = Completion(outcome: outcome, executor: executor)
        for waiter in entry.waiters { waiter.resume(returning: completion) }
    }
}
