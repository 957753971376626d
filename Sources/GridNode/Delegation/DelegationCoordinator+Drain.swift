import GridCore
import GridWire

/// A graceful stop, on the requester's side: the node takes no new submissions (the local API
/// checks ``NodeContext/isStopping``), places nothing more, and tells the applications waiting on
/// its tasks; running work — local runs and tasks with peers — gets `drainTimeoutMs` to finish and
/// be recorded. What is still unfinished then is handed back: each peer holding one of its tasks
/// is sent a TaskCancel, local runs stop, and no outcome is recorded any more, so every such task
/// stays `running` in the journal and resumes at the next start (DelegationCoordinator+Recovery.swift).
extension DelegationCoordinator {
    /// Stops placing and retrying, and wakes everyone waiting on a task's outcome: they are told
    /// the node is stopping (``completion(of:)`` returns nil), while the task goes on.
    func beginDrain() {
        draining = true
        node.events.endWatchers()
        for id in Array(inflight.keys) {
            guard let waiters = inflight[id]?.waiters, !waiters.isEmpty else { continue }
            inflight[id]?.waiters = [:]
            for waiter in waiters.values { waiter.resume(returning: nil) }
        }
    }

    /// Tasks running now, here or on a peer, whose outcome is not yet given.
    var runningCount: Int {
        inflight.values.reduce(0) { count, entry in
            guard entry.delivered == nil else { return count }
            return count + entry.replicas.filter { machine in
                switch machine.state {
                case .runningLocally, .awaitingAck, .awaitingResult: true
                default: false
                }
            }.count
        }
    }

    /// Hands back what is unfinished: TaskCancel to every peer holding a task (sent before this
    /// returns, so it precedes the Goodbye), local runs cancelled, and nothing recorded from now on.
    /// Returns how many tasks were left unfinished (they resume at the next start).
    func handBack() async -> Int {
        handedBack = true
        var unfinished = 0
        for (id, entry) in inflight {
            // A delivered task still in flight is being checked: its extra runs stop too.
            if entry.delivered == nil { unfinished += 1 }
            inflight[id]?.localRun?.cancel()
            updateAll(id) { $0.handBack(now: .now) }  // TaskCancel to a peer holding it
        }
        for chain in sendChains.values { await chain.wait() }
        return unfinished
    }
}
