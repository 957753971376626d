import GridCore
import GridLocalAPI

/// What the coordinator tells the task's watchers (``TaskEventHub``) as a task goes.
extension DelegationCoordinator {
    func emit(_ id: TaskID, _ kind: TaskEventView.Kind, node: NodeID? = nil, attempt: Int? = nil, queuePosition: Int? = nil,
              fraction: Double? = nil, message: String? = nil, code: String? = nil) {
        self.node.events.record(id, TaskEventView(
            kind: kind, atMs: WallClock.nowMs(), nodeId: node?.hex, attempt: attempt, queuePosition: queuePosition, fraction: fraction,
            message: message, code: code))
    }

    /// The attempt a replica is on now (1 for the first).
    func currentAttempt(_ id: TaskID, replica: Int) -> Int {
        guard let machines = inflight[id]?.replicas, machines.indices.contains(replica) else { return 1 }
        return machines[replica].attempts.count + 1
    }

    /// The executor's job for a task this node runs itself: its start and progress become events.
    func localJob(_ task: TaskSpec, replica: Int) -> SkillJob {
        let events = node.events
        let me = node.nodeID
        let attempt = currentAttempt(task.id, replica: replica)
        let throttle = LocalProgressThrottle()
        return SkillJob(
            taskID: task.id, skill: task.skill, input: task.input, priority: task.priority, requester: me,
            deadlineMs: WallClock.nowMs() + Int64(task.timeout.nanoseconds / 1_000_000),
            onStart: {
                events.record(task.id, TaskEventView(kind: .started, atMs: WallClock.nowMs(), nodeId: me.hex, attempt: attempt))
            },
            onProgress: { progress in
                guard throttle.admit() else { return }
                events.record(task.id, TaskEventView(
                    kind: .progress, atMs: WallClock.nowMs(), nodeId: me.hex, attempt: attempt, fraction: progress.fraction,
                    message: progress.message.isEmpty ? nil : progress.message))
            })
    }

    /// The final event of a task that has ended.
    func emitOutcome(_ id: TaskID, _ outcome: TaskOutcome, executor: NodeID?) {
        switch outcome {
        case .success:
            emit(id, .succeeded, node: executor)
        case .failure(let failure):
            emit(id, .failed, node: executor, message: failure.message, code: failure.code.rawValue)
        }
    }
}
