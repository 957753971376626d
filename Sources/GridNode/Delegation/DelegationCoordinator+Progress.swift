import GridCore
import GridWire

/// Progress reports from executors (Protocol/README.md, `grid.v1.TaskProgress`).
extension DelegationCoordinator {
    /// A verified TaskProgress from `peer`. For now it is checked and logged; a report for a task
    /// this node did not send to `peer` is ignored (a result may have overtaken it).
    func progressReceived(_ progress: Grid_V1_TaskProgress, from peer: NodeID) async {
        guard let report = try? TaskProgressMessage(progress),
            inflight[report.taskID]?.replicas.contains(where: { $0.state == .awaitingAck(peer) || $0.state == .awaitingResult(peer) }) == true
        else { return }
        node.logger.debug("task \(report.taskID) on \(peer.short): \(report.progress) (report \(report.sequence))")
    }
}
