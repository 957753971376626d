import GridCore
import GridWire

/// Progress reports from executors (Protocol/README.md, `grid.v1.TaskProgress`).
extension DelegationCoordinator {
    /// A verified TaskProgress from `peer` becomes a `started` or `progress` event of the task.
    /// A report for a task this node did not send to `peer` is ignored (a result may have
    /// overtaken it), and so is one no newer than the last taken from that executor.
    func progressReceived(_ progress: Grid_V1_TaskProgress, from peer: NodeID) async {
        guard let report = try? TaskProgressMessage(progress),
            let replica = inflight[report.taskID]?.replicas.firstIndex(where: { $0.state == .awaitingAck(peer) || $0.state == .awaitingResult(peer) })
        else { return }
        let key = ReplicaKey(id: report.taskID, replica: replica)
        // A new attempt on another peer starts its own sequence.
        if let held = holding[key], held.peer != peer { return }
        guard report.sequence > progressSeen[key] ?? 0 else { return }
        progressSeen[key] = report.sequence
        let attempt = currentAttempt(report.taskID, replica: replica)
        switch report.progress.stage {
        case .started:
            emit(report.taskID, .started, node: peer, attempt: attempt)
        case .progress:
            emit(
                report.taskID, .progress, node: peer, attempt: attempt, fraction: report.progress.fraction,
                message: report.progress.message.isEmpty ? nil : report.progress.message)
        }
    }
}
