import Foundation
import GridCore
import GridStore

/// At start, the tasks the journal holds as unfinished — accepted before a crash, a kill or a
/// shutdown — are resumed: each is routed and run or delegated again within what is left of its
/// deadline (measured from its submission), or ended as timed out when nothing is left. A task
/// whose skill no node serves yet waits up to `recoveryWaitMs` for its providers to reconnect.
extension DelegationCoordinator {
    /// What ``beginRecovery()`` found, for ``resume(_:)``.
    struct Recovery: Sendable {
        var tasks: [TaskRecord]
        var unreadable: Int
    }

    /// Reads the unfinished tasks and marks them as being admitted, so an application asking
    /// about one (wait, get) while they are resumed waits for it instead of seeing it stuck.
    /// Call before the local API accepts connections.
    func beginRecovery(_ records: [TaskRecord]) -> Recovery {
        var readable: [TaskRecord] = []
        var unreadable = 0
        for record in records {
            guard let id = try? TaskID(hex: record.id) else {
                unreadable += 1
                node.logger.error("task row '\(record.id.prefix(64))' has no valid task ID; it is left as it is")
                continue
            }
            admitting[id] = []
            readable.append(record)
        }
        return Recovery(tasks: readable, unreadable: unreadable)
    }

    /// Resumes (or ends) each task ``beginRecovery()`` found, highest priority first.
    func resume(_ recovery: Recovery) async {
        guard !recovery.tasks.isEmpty else { return }
        let nowMs = WallClock.nowMs()
        let now = ContinuousClock.now
        var resumed = 0
        var expired = 0
        for record in recovery.tasks {
            guard let id = try? TaskID(hex: record.id) else { continue }
            defer { admitted(id) }
            let spec: TaskSpec
            do {
                spec = try record.spec()
            } catch {
                end(id, TaskFailure(.internal, "the node restarted and could not read this task back from its journal (\(error.message))"))
                continue
            }
            let leftMs = record.submittedAtMs + record.timeoutMs - nowMs
            guard leftMs > 0 else {
                expired += 1
                end(id, TaskFailure(
                    .timedOut,
                    "the node restarted after the task's deadline had passed (submitted \(max(0, nowMs - record.submittedAtMs)) ms ago with a timeout of \(record.timeoutMs) ms); submit it again"))
                continue
            }
            resumed += 1
            let waitMs = min(leftMs, Int64(node.settings.recoveryWaitMs))
            await start(spec, deadline: now.advanced(by: .milliseconds(leftMs)), waitForProvidersUntil: now.advanced(by: .milliseconds(waitMs)))
        }
        node.logger.notice("resumed \(resumed) unfinished tasks from the journal; \(expired) had passed their deadline and ended as timed out")
    }

    /// Ends a journaled task that cannot be resumed, recording why.
    private func end(_ id: TaskID, _ failure: TaskFailure) {
        node.journal.finish(TaskEnding(id: id, outcome: .failure(failure), executor: nil, attempts: [], atMs: WallClock.nowMs()))
        emitOutcome(id, .failure(failure), executor: nil)
    }
}
