/// Watching tasks (Protocol/local-api.md, "Watching tasks").

/// One thing that happened to a task, as `task.event` carries it.
public struct TaskEventView: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case submitted, queued, sent, accepted, started, progress, retrying, verifying, succeeded, failed
    }

    public var kind: Kind
    public var atMs: Int64
    public var nodeId: String?
    public var attempt: Int?
    public var queuePosition: Int?
    public var fraction: Double?
    public var message: String?
    public var code: String?

    public init(
        kind: Kind, atMs: Int64, nodeId: String? = nil, attempt: Int? = nil, queuePosition: Int? = nil, fraction: Double? = nil,
        message: String? = nil, code: String? = nil
    ) {
        self.kind = kind
        self.atMs = atMs
        self.nodeId = nodeId
        self.attempt = attempt
        self.queuePosition = queuePosition
        self.fraction = fraction
        self.message = message
        self.code = code
    }

    /// `succeeded` and `failed` end a task's events.
    public var isFinal: Bool { kind == .succeeded || kind == .failed }
}

/// `task.event` parameters.
public struct TaskEventNotice: Codable, Sendable, Equatable {
    public var taskId: String
    public var event: TaskEventView
    public init(taskId: String, event: TaskEventView) {
        self.taskId = taskId
        self.event = event
    }
}

/// `task.submitted` parameters: the ID of the task a waiting `task.submit` created.
public struct TaskSubmittedNotice: Codable, Sendable, Equatable {
    public var requestId: RPCID
    public var taskId: String
    public init(requestId: RPCID, taskId: String) {
        self.requestId = requestId
        self.taskId = taskId
    }
}
