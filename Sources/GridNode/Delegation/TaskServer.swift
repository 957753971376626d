import Foundation
import GridCore
import GridWire
import Logging

/// The receiving side: answers each TaskRequest from a peer with a signed TaskAck, runs what it
/// accepts under the requester's deadline, and sends back a signed TaskResult.
actor TaskServer {
    private let node: NodeContext
    /// Tasks running for peers, so a repeated request is not run twice.
    private var running: Set<RunningKey> = []

    private struct RunningKey: Hashable {
        var requester: NodeID
        var task: TaskID
    }

    init(node: NodeContext) {
        self.node = node
    }

    func received(_ request: Grid_V1_TaskRequest, from session: PeerSession) async {
        guard let taskID = try? TaskID(bytes: Array(request.taskID)) else {
            return await reply(session, ack: .rejected(request.taskID, .invalid, "task_id must be 16 bytes"))
        }
        let key = RunningKey(requester: session.peer, task: taskID)
        guard !running.contains(key) else {
            // A repeat of a task already running here: confirm it again, run it once.
            var ack = Grid_V1_TaskAck()
            ack.taskID = request.taskID
            ack.accepted = true
            return await reply(session, ack: ack)
        }
        guard let skill = try? SkillID(request.skill), node.localSkills.contains(skill) else {
            return await reply(session, ack: .rejected(request.taskID, .unknownSkill, "this node does not serve skill '\(request.skill.prefix(64))'"))
        }
        guard request.input.count <= node.settings.maxTaskBytes else {
            return await reply(session, ack: .rejected(
                request.taskID, .tooLarge, "input is \(request.input.count) bytes; this node accepts at most \(node.settings.maxTaskBytes)"))
        }
        guard request.deadlineMs > 0 else {
            return await reply(session, ack: .rejected(request.taskID, .expired, "the task's deadline had passed when it arrived"))
        }
        switch await node.executor.admit() {
        case .busy(let why):
            return await reply(session, ack: .rejected(request.taskID, .busy, why))
        case .accepted(let position):
            running.insert(key)
            var ack = Grid_V1_TaskAck()
            ack.taskID = request.taskID
            ack.accepted = true
            ack.queuePosition = UInt32(position)
            await reply(session, ack: ack)
        }
        let deadline = Duration.milliseconds(Int64(min(request.deadlineMs, UInt32(node.settings.maxTaskTimeoutMs))))
        let input = Array(request.input)
        Task {
            let started = ContinuousClock.now
            let outcome = await Self.run(skill, input: input, within: deadline, on: node.executor)
            await self.finished(key, request: request, outcome: outcome, took: started.duration(to: .now), via: session)
        }
    }

    private func finished(_ key: RunningKey, request: Grid_V1_TaskRequest, outcome: TaskOutcome, took: Duration, via session: PeerSession) async {
        running.remove(key)
        var result = Grid_V1_TaskResult()
        result.taskID = request.taskID
        result.executionTimeUs = UInt64(max(0, took.nanoseconds / 1000))
        switch outcome {
        case .success(let output) where output.count > node.settings.maxTaskBytes:
            result.error = .with {
                $0.code = .internal
                $0.message = "output is \(output.count) bytes; this node sends at most \(node.settings.maxTaskBytes)"
            }
        case .success(let output):
            result.output = Data(output)
        case .failure(let failure):
            result.error = .with {
                $0.code = failure.code.wireCode
                $0.message = failure.message
            }
        }
        await send(result, to: session)
    }

    /// Runs the skill, giving up (and cancelling it) when `deadline` passes.
    private static func run(_ skill: SkillID, input: [UInt8], within deadline: Duration, on executor: LocalExecutor) async -> TaskOutcome {
        await withTaskGroup(of: TaskOutcome?.self) { group in
            group.addTask { await executor.execute(skill, input: input, admitted: true) }
            group.addTask {
                try? await Task.sleep(for: deadline)
                return Task.isCancelled ? nil : .failure(TaskFailure(.timedOut, "the task ran past its deadline and was abandoned"))
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(TaskFailure(.internal, "the task ended without an outcome"))
        }
    }

    private func reply(_ session: PeerSession, ack: Grid_V1_TaskAck) async {
        if !ack.accepted {
            node.logger.info("refused task from \(session.peer.short): \(ack.message)")
        }
        await send(ack, to: session)
    }

    /// Sends over the peer's current connection (it may have been replaced since the request came).
    private func send<M: WireMessage>(_ message: M, to session: PeerSession) async {
        let current = await node.peers.session(for: session.peer) ?? session
        do {
            try await current.outbound.write(node.sealed(message))
        } catch {
            node.logger.info("could not answer \(session.peer.short): \(error)")
        }
    }
}

extension Grid_V1_TaskAck {
    static func rejected(_ taskID: Data, _ reason: Grid_V1_RejectReason, _ message: String) -> Grid_V1_TaskAck {
        var ack = Grid_V1_TaskAck()
        ack.taskID = taskID
        ack.accepted = false
        ack.reason = reason
        ack.message = message
        return ack
    }
}
