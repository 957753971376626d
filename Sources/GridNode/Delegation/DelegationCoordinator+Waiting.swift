import GridCore

extension DelegationCoordinator {
    /// Waits for the task's outcome; nil when the task is not in flight (it ended already, or was
    /// never submitted here: the store has its record then), or when the waiting task is
    /// cancelled (it stops waiting at once; the task goes on).
    func completion(of id: TaskID) async -> Completion? {
        if admitting[id] != nil {
            // Recorded, and being routed: it is in flight, or ended, once `submit` is done.
            await withCheckedContinuation { continuation in
                guard admitting[id] != nil else { return continuation.resume() }
                admitting[id]?.append(continuation)
            }
        }
        guard let entry = inflight[id] else { return nil }
        if let delivered = entry.delivered { return delivered }
        guard !draining else { return nil }  // stopping: the waiter is told so, the task goes on
        nextWaiter += 1
        let waiter = nextWaiter
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard !Task.isCancelled, inflight[id] != nil else { return continuation.resume(returning: inflight[id]?.delivered) }
                inflight[id]?.waiters[waiter] = continuation
            }
        } onCancel: {
            self.node.tasks.spawn { await self.stopWaiting(for: id, waiter) }
        }
    }

    /// A cancelled waiter leaves: without this, a `task.wait` that timed out would stay behind
    /// until each of its tasks ended.
    func stopWaiting(for id: TaskID, _ waiter: Int) {
        inflight[id]?.waiters.removeValue(forKey: waiter)?.resume(returning: nil)
    }

    /// `submit` is done with a task: in flight, or ended already.
    func admitted(_ id: TaskID) {
        for waiter in admitting.removeValue(forKey: id) ?? [] { waiter.resume() }
    }
}

/// Followers of identical cacheable tasks (``CacheJoins``).
extension DelegationCoordinator {
    /// A follower's own deadline passed while its leader still runs: it ends, the leader goes on.
    func followerDeadlinePassed(_ id: TaskID) {
        guard let leader = joins.leader(of: id), joins.leave(id) else { return }
        complete(id, .failure(TaskFailure(
            .timedOut, "no result within the task's timeout; it was waiting for the identical task \(leader), which is still running")),
            executor: nil)
    }

    /// The leader ended for a reason of its own: the follower runs by itself, within its own deadline.
    func startOnItsOwn(_ id: TaskID) {
        node.tasks.spawn { [weak self] in await self?.restartFollower(id) }
    }

    private func restartFollower(_ id: TaskID) async {
        guard let entry = inflight[id], entry.delivered == nil, entry.replicas.isEmpty, !joins.isFollower(id) else { return }
        await start(entry.task, deadline: entry.deadline, counted: false)
    }
}
