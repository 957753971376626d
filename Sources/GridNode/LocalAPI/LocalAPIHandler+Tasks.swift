import GridCore
import GridCrypto
import GridLocalAPI
import GridStore

extension LocalAPIHandler {
    /// Hands a validated task to the coordinator; the ID to follow: the new task's, or, when the
    /// idempotency key was used before for the same request, that task's.
    func record(_ spec: TaskSpec, idempotencyKey key: String?) async throws(RPCError) -> TaskID {
        var claim: IdempotencyClaim?
        if let key {
            guard (1...IdempotencyClaim.maxKeyLength).contains(key.count) else {
                throw invalid("idempotencyKey has \(key.count) characters; use 1-\(IdempotencyClaim.maxKeyLength)")
            }
            claim = IdempotencyClaim(key: key, requestDigest: SHA256.hex(spec.requestEncoding))
        }
        guard !node.isStopping else {
            throw RPCError(
                code: RPCError.unavailable, message: "the node is shutting down and takes no new tasks; submit it to another node, or again once this one has restarted",
                data: .init(reason: Self.shuttingDown))
        }
        let existing: TaskRecord?
        do {
            existing = try await coordinator.submit(spec, idempotency: claim)
        } catch {
            // Not accepted: the store could not record it, or too many tasks wait for capacity.
            let reason = error.code == .queueFull ? TaskFailure.Code.queueFull.rawValue : nil
            throw RPCError(code: RPCError.unavailable, message: error.message, data: .init(taskId: spec.id.hex, reason: reason))
        }
        guard let existing, let claim else { return spec.id }
        guard existing.requestDigest == claim.requestDigest, let id = try? TaskID(hex: existing.id) else {
            throw invalid("idempotencyKey '\(claim.key)' was already used for a different request (task \(existing.id)); use a new key")
        }
        return id
    }

    /// `data.reason` of the error a client gets when the node stops while it waits, or submits then.
    static let shuttingDown = "shutting_down"

    /// The answer to an application waiting on tasks the node has not finished when it stops.
    static func stopping(_ taskIDs: [String]) -> RPCError {
        let first = taskIDs.first ?? ""
        let more = taskIDs.count > 1 ? " (and \(taskIDs.count - 1) more)" : ""
        return RPCError(
            code: RPCError.unavailable,
            message: "the node is shutting down; task \(first)\(more) stays accepted and resumes when the node starts again: ask task.wait or task.get then",
            data: .init(taskId: taskIDs.count == 1 ? first : nil, reason: shuttingDown))
    }

    /// `task.list`: the tasks submitted here, newest submission first, without their attempts.
    func listTasks(_ params: TaskListParams?) async throws(RPCError) -> [TaskView] {
        let params = params ?? TaskListParams()
        var status: TaskRecord.Status?
        if let name = params.status {
            status = TaskRecord.Status(rawValue: name)
            guard status != nil else { throw invalid("status is '\(name.prefix(64))'; use \"running\", \"succeeded\" or \"failed\"") }
        }
        if let skill = params.skill {
            do { _ = try SkillID(skill) } catch { throw invalid("skill: \(error.message)") }
        }
        let limit = params.limit ?? TaskListParams.defaultLimit
        guard (1...TaskListParams.maxLimit).contains(limit) else { throw invalid("limit is \(limit); use 1-\(TaskListParams.maxLimit)") }
        do {
            return try await node.journal.listTasks(status: status, skill: params.skill, submittedBeforeMs: params.beforeMs, limit: limit)
                .map { TaskView($0) }
        } catch {
            throw RPCError(code: RPCError.unavailable, message: error.message)
        }
    }

    /// `task.wait`: answers once all (or any) of the tasks have ended, or at the timeout. Each task
    /// is awaited through the coordinator's completion, never by reading the store again and
    /// again; a task that has ended already counts at once.
    func waitForTasks(_ params: TaskWaitParams?) async throws(RPCError) -> TaskWaitResult {
        guard let params else { throw invalid("task.wait needs params: {\"taskIds\": [...]}") }
        let maxIds = TaskWaitParams.maxTaskIds
        guard (1...maxIds).contains(params.taskIds.count) else { throw invalid("taskIds has \(params.taskIds.count) IDs; give 1-\(maxIds)") }
        var ids: [TaskID] = []
        for (index, hex) in params.taskIds.enumerated() {
            do { ids.append(try TaskID(hex: hex)) } catch { throw invalid("taskIds[\(index)]: \(error.message)") }
        }
        let modeName = params.mode ?? TaskWaitParams.Mode.all.rawValue
        guard let mode = TaskWaitParams.Mode(rawValue: modeName) else {
            throw invalid("mode is '\(modeName.prefix(64))'; use \"all\" or \"any\"")
        }
        let maxTimeout = node.settings.maxTaskTimeoutMs
        if let timeout = params.timeoutMs, !(1...maxTimeout).contains(timeout) {
            throw invalid("timeoutMs is \(timeout); use 1-\(maxTimeout) (maxTaskTimeoutMs)")
        }
        var unique: [TaskID] = []
        var seen: Set<TaskID> = []
        for id in ids where seen.insert(id).inserted { unique.append(id) }

        let before = try await records(unique)
        if let unknown = unique.first(where: { before[$0.hex] == nil }) {
            let others = unique.count(where: { before[$0.hex] == nil }) - 1
            throw RPCError(
                code: RPCError.taskNotFound,
                message: "no task \(unknown) on this node\(others > 0 ? " (nor \(others) more of the IDs)" : ""); task IDs are per node; nothing was waited for",
                data: .init(taskId: unknown.hex))
        }
        let running = unique.filter { before[$0.hex]?.status == .running }
        let anyEnded = running.count < unique.count
        if !running.isEmpty, mode == .all || !anyEnded {
            await awaitEnds(of: running, mode: mode, timeoutMs: params.timeoutMs)
        }

        if node.isStopping {
            let stillRunning = try await records(unique).values.filter { $0.status == .running }.map(\.id)
            if !stillRunning.isEmpty { throw Self.stopping(stillRunning) }
        }
        let after = try await records(unique)
        var done: [TaskView] = []
        var pending: [String] = []
        for id in ids {
            guard let record = after[id.hex], record.status != .running else {
                pending.append(id.hex)
                continue
            }
            done.append(TaskView(record, attempts: try? await node.journal.attempts(of: id)))
        }
        return TaskWaitResult(done: done, pending: pending)
    }

    private func records(_ ids: [TaskID]) async throws(RPCError) -> [String: TaskRecord] {
        do { return try await node.journal.tasks(ids) } catch { throw RPCError(code: RPCError.unavailable, message: error.message) }
    }

    private enum WaitEvent: Sendable {
        /// The task ended.
        case ended
        /// The task is not in flight and has not ended: the node stopped while it ran, so it never will.
        case cannotEnd
        case timedOut
    }

    /// Returns when every task in `ids` has ended (`.all`) or one has (`.any`), or `timeoutMs`
    /// passed; the waits still open are cancelled then, so nothing stays behind.
    private func awaitEnds(of ids: [TaskID], mode: TaskWaitParams.Mode, timeoutMs: Int?) async {
        let coordinator = coordinator
        let journal = node.journal
        await withTaskGroup(of: WaitEvent.self) { group in
            for id in ids {
                group.addTask {
                    if await coordinator.completion(of: id) != nil { return .ended }
                    // Not in flight: it ended before we asked, or it never will (or we were cancelled).
                    let status = (try? await journal.task(id))?.status
                    return status == .running || status == nil ? .cannotEnd : .ended
                }
            }
            if let timeoutMs {
                group.addTask {
                    try? await Task.sleep(for: .milliseconds(timeoutMs))
                    return .timedOut
                }
            }
            var open = ids.count
            waiting: for await event in group {
                switch event {
                case .timedOut:
                    break waiting
                case .ended where mode == .any:
                    break waiting
                case .ended, .cannotEnd:
                    open -= 1
                    if open == 0 { break waiting }
                }
            }
            group.cancelAll()
        }
    }
}
