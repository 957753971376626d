import GridCore
import Logging

extension GridNode {
    /// A graceful stop's first part: no new work, running work gets `drainTimeoutMs` to finish,
    /// then the rest is handed back (docs/TASKS.md, "Stopping"). The node says goodbye after it.
    static func drain(
        _ node: NodeContext, coordinator: DelegationCoordinator, taskServer: TaskServer, logger: Logger
    ) async {
        node.beginStopping()
        await coordinator.beginDrain()
        await taskServer.beginDrain()
        let timeout = Duration.milliseconds(node.settings.drainTimeoutMs)
        let running = await coordinator.runningCount + taskServer.runningCount
        logger.notice("stopping: \(running) running tasks get up to \(node.settings.drainTimeoutMs) ms to finish (drainTimeoutMs)")
        let end = ContinuousClock.now.advanced(by: timeout)
        // Checked every 20 ms: a stop is rare, and this keeps the actors free of drain bookkeeping.
        while ContinuousClock.now < end {
            let left = await coordinator.runningCount + taskServer.runningCount
            if left == 0 { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        // Cancelled work ends promptly (skills stop on cancellation), so this is short.
        let mine = await coordinator.handBack()
        let theirs = await taskServer.handBack()
        await node.journal.flush()  // what ended during the drain is in the store before the goodbye
        await RoutingChores.saveReputation(node, coordinator: coordinator)
        logger.notice(
            "stopped with \(mine) of this node's tasks unfinished (journaled: they resume at the next start) and \(theirs) peers' tasks handed back to their requesters")
    }
}
