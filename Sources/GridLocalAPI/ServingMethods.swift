/// What an application that serves skills and the node say to each other (Protocol/local-api.md,
/// "Serving a skill").

extension LocalAPI {
    /// Most requests of one connection answered at once; the node reads no further line until
    /// one of them is answered.
    public static let maxConcurrentRequests = 64
    /// Most skills one connection serves.
    public static let maxServedSkills = 64
    /// Most tasks of one skill one connection runs at once.
    public static let maxServeCapacity = 1024
    /// The prefix of the node's own request IDs (`task.run`).
    public static let nodeRequestPrefix = "node-"

    /// What the node sends an application: `task.run` is a request, the others notifications.
    public enum NodeMessage: String, Sendable, CaseIterable {
        case taskRun = "task.run"
        case taskCancel = "task.cancel"
        case nodeError = "node.error"
        case taskSubmitted = "task.submitted"
        case taskEvent = "task.event"
    }
}

/// One skill in `skill.serve`.
public struct ServedSkillParams: Codable, Sendable, Equatable {
    public var name: String
    /// Tasks this connection runs at once (1-1024, default 1).
    public var capacity: Int?
    public var description: String?
    /// The output depends only on the input (replicas and spot-checks may compare it).
    public var deterministic: Bool?

    public init(name: String, capacity: Int? = nil, description: String? = nil, deterministic: Bool? = nil) {
        self.name = name
        self.capacity = capacity
        self.description = description
        self.deterministic = deterministic
    }
}

/// `skill.serve` parameters.
public struct ServeParams: Codable, Sendable, Equatable {
    public var skills: [ServedSkillParams]
    public init(skills: [ServedSkillParams]) { self.skills = skills }
}

/// `skill.unserve` parameters: the skills to stop serving (all when absent).
public struct UnserveParams: Codable, Sendable, Equatable {
    public var skills: [String]?
    /// Let the tasks running now finish (default false: hand them back at once).
    public var drain: Bool?
    public init(skills: [String]? = nil, drain: Bool? = nil) {
        self.skills = skills
        self.drain = drain
    }
}

/// The answer to `skill.serve` and `skill.unserve`: what the connection serves now.
public struct ServeResult: Codable, Sendable, Equatable {
    public struct Served: Codable, Sendable, Equatable {
        public var name: String
        public var capacity: Int
        /// Tasks this connection runs now.
        public var running: Int
        public init(name: String, capacity: Int, running: Int) {
            self.name = name
            self.capacity = capacity
            self.running = running
        }
    }

    public var served: [Served]
    public init(served: [Served]) { self.served = served }
}

/// `task.run` parameters: one task for the application to run.
public struct TaskRunParams: Codable, Sendable, Equatable {
    public var taskId: String
    public var skill: String
    public var input: String?
    public var inputBase64: String?
    /// The deadline, in milliseconds since the Unix epoch.
    public var deadlineMs: Int64
    /// Time left when the request was written.
    public var timeoutMs: Int64
    public var priority: Int
    /// The node the task came from.
    public var requester: String

    public init(
        taskId: String, skill: String, input: String?, inputBase64: String?, deadlineMs: Int64, timeoutMs: Int64, priority: Int,
        requester: String
    ) {
        self.taskId = taskId
        self.skill = skill
        self.input = input
        self.inputBase64 = inputBase64
        self.deadlineMs = deadlineMs
        self.timeoutMs = timeoutMs
        self.priority = priority
        self.requester = requester
    }
}

/// The application's answer to `task.run` on success: the output as text or base64.
public struct TaskRunResult: Codable, Sendable, Equatable {
    public var output: String?
    public var outputBase64: String?
    public init(output: String? = nil, outputBase64: String? = nil) {
        self.output = output
        self.outputBase64 = outputBase64
    }
}

/// `task.progress` parameters.
public struct TaskProgressParams: Codable, Sendable, Equatable {
    public var taskId: String
    /// Needed only when two requesters' tasks on this connection share the task ID.
    public var requester: String?
    public var fraction: Double?
    public var message: String?
    public init(taskId: String, requester: String? = nil, fraction: Double? = nil, message: String? = nil) {
        self.taskId = taskId
        self.requester = requester
        self.fraction = fraction
        self.message = message
    }
}

/// `task.cancel` from the node: stop the task.
public struct TaskCancelNotice: Codable, Sendable, Equatable {
    public enum Reason: String, Codable, Sendable {
        case cancelled, deadline, withdrawn
    }

    public var taskId: String
    public var requester: String
    public var reason: Reason
    public init(taskId: String, requester: String, reason: Reason) {
        self.taskId = taskId
        self.requester = requester
        self.reason = reason
    }
}

/// `node.error` from the node: something the application sent was wrong.
public struct NodeErrorNotice: Codable, Sendable, Equatable {
    public var message: String
    public var id: RPCID?
    public init(message: String, id: RPCID? = nil) {
        self.message = message
        self.id = id
    }
}

/// A notification: a request without an ID.
public struct RPCNotification<Params: Codable & Sendable>: Codable, Sendable {
    public var jsonrpc = "2.0"
    public var method: String
    public var params: Params

    public init(method: String, params: Params) {
        self.method = method
        self.params = params
    }
}
