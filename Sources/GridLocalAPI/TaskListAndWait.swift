/// `task.list` parameters: the tasks submitted to this node, newest submission first.
public struct TaskListParams: Codable, Sendable, Equatable {
    /// Most tasks one `task.list` answers with.
    public static let maxLimit = 1000
    public static let defaultLimit = 100

    /// "running", "succeeded" or "failed": only tasks in that state.
    public var status: String?
    /// Only tasks of this skill.
    public var skill: String?
    /// Most tasks, 1-1000 (default 100).
    public var limit: Int?
    /// Only tasks submitted strictly before this instant (ms since the Unix epoch): pass the last
    /// `submittedAtMs` of a page to get the next one.
    public var beforeMs: Int64?

    public init(status: TaskView.Status? = nil, skill: String? = nil, limit: Int? = nil, beforeMs: Int64? = nil) {
        self.status = status?.rawValue
        self.skill = skill
        self.limit = limit
        self.beforeMs = beforeMs
    }
}

/// `task.wait` parameters: wait until all (or any) of the tasks have ended, or `timeoutMs` passes.
public struct TaskWaitParams: Codable, Sendable, Equatable {
    /// Most task IDs one `task.wait` takes.
    public static let maxTaskIds = 1000

    public enum Mode: String, Codable, Sendable, CaseIterable {
        /// Answer when every task has ended.
        case all
        /// Answer when one of them has ended.
        case any
    }

    /// 1-1000 task IDs of this node.
    public var taskIds: [String]
    /// "all" (default) or "any".
    public var mode: String?
    /// The longest wait, 1 to the node's `maxTaskTimeoutMs`; without it, until the tasks end.
    public var timeoutMs: Int?

    public init(taskIds: [String], mode: Mode = .all, timeoutMs: Int? = nil) {
        self.taskIds = taskIds
        self.mode = mode.rawValue
        self.timeoutMs = timeoutMs
    }
}

/// The answer to `task.wait`: the tasks that have ended, in the order asked (failures included),
/// and the IDs of those still running.
public struct TaskWaitResult: Codable, Sendable, Equatable {
    public var done: [TaskView]
    public var pending: [String]

    public init(done: [TaskView], pending: [String]) {
        self.done = done
        self.pending = pending
    }
}
