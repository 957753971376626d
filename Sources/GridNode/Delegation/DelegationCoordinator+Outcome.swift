import GridCore
import GridStore

/// How a task ends: its outcome recorded, given to the waiters and the cache
/// (``deliver(_:_:executor:)``), then the task forgotten with its timers (``retire(_:)``).
extension DelegationCoordinator {
    func complete(_ id: TaskID, _ outcome: TaskOutcome, executor: NodeID?) {
        deliver(id, outcome, executor: executor)
        retire(id)
    }

    /// Records the outcome and gives it to everyone waiting; once only.
    func deliver(_ id: TaskID, _ outcome: TaskOutcome, executor: NodeID?) {
        // Handed back at a stop: what ends now (a lost connection, a cancelled local run) is not
        // the task's outcome; it resumes at the next start.
        guard !handedBack, let entry = inflight[id], entry.delivered == nil else { return }
        var attempts: [TaskAttemptRecord] = []
        for (replica, machine) in entry.replicas.enumerated() {
            for attempt in machine.attempts {
                attempts.append(TaskAttemptRecord(
                    taskId: id.hex, seq: attempts.count, replica: replica, node: attempt.node.hex, result: attempt.result,
                    latencyMs: attempt.latency.map { Double($0.nanoseconds) / 1_000_000 }))
            }
        }
        node.journal.finish(TaskEnding(id: id, outcome: outcome, executor: executor, attempts: attempts, atMs: WallClock.nowMs()))
        if case .failure(let failure) = outcome {
            node.logger.info("task \(id) (\(entry.task.skill)) failed: \(failure.message)")
        }
        let endToEnd = entry.submittedAt.duration(to: .now)
        switch outcome {
        case .success:
            let by = executor ?? node.nodeID
            let execution = entry.replicas.lazy.compactMap { $0.attempts.last { $0.node == by }?.latency }.first
            metrics.completed(skill: entry.task.skill, executor: by, isLocal: by == node.nodeID, endToEnd: endToEnd, execution: execution)
        case .failure(let failure):
            metrics.failed(skill: entry.task.skill, reason: failure.code, executor: executor, endToEnd: endToEnd)
        }
        let completion = Completion(outcome: outcome, executor: executor)
        emitOutcome(id, outcome, executor: executor)
        inflight[id]?.delivered = completion
        inflight[id]?.weighing = nil
        inflight[id]?.waiters = [:]
        for waiter in entry.waiters.values { waiter.resume(returning: completion) }
        if entry.task.cacheable, !entry.replicas.isEmpty {
            let key = Self.cacheKey(entry.task)
            // Only a result that was computed starts a window: one served from the cache, or by
            // joining, does not extend it.
            if case .success(let output) = outcome {
                cache.store(key, output: output, executor: executor, now: .now)
            }
            let ending = joins.leaderEnded(id, key: key, outcome: outcome)
            for follower in ending.share { complete(follower, outcome, executor: executor) }
            for follower in ending.restart { startOnItsOwn(follower) }
        }
    }

    /// Forgets the task: its timer and any local run stop.
    func retire(_ id: TaskID) {
        guard let entry = inflight.removeValue(forKey: id) else { return }
        placement.removeAll(task: id)
        if let key = entry.probation { release(key) }  // the provider may take work again
        entry.deadlineTimer?.cancel()
        entry.localRun?.cancel()
        for timer in entry.timers { timer.cancel() }
        for replica in entry.replicas.indices {
            if let held = holding.removeValue(forKey: ReplicaKey(id: id, replica: replica)) {
                flow.ended(on: held.peer)
                schedulePlacement()
            }
            progressSeen[ReplicaKey(id: id, replica: replica)] = nil
        }
    }
}
