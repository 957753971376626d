import GridCore

/// Work this node can do itself. Runs on the cooperative pool: a skill that blocks must hop off it.
public protocol Skill: Sendable {
    /// Runs on `input`. Cancellation (deadline passed) should end it early.
    func run(_ input: [UInt8]) async -> TaskOutcome
    /// Runs one task, knowing which it is and able to report progress. By default, ``run(_:)``.
    func run(_ input: [UInt8], context: SkillContext) async -> TaskOutcome
    /// Whether the output depends only on the input, so this node announces the skill as
    /// deterministic and other nodes may compare its results with theirs (replicas, spot-checks,
    /// evidence of a wrong result). By default false: a skill is never judged by comparison unless
    /// it says so.
    var isDeterministic: Bool { get }
}

extension Skill {
    public func run(_ input: [UInt8], context: SkillContext) async -> TaskOutcome { await run(input) }
    public var isDeterministic: Bool { false }
}

/// What a skill may know of the task it runs, and its way to report progress.
public struct SkillContext: Sendable {
    public var taskID: TaskID
    public var skill: SkillID
    /// The node the task came from (this node's own for a local submission).
    public var requester: NodeID
    /// When the requester gives up, in milliseconds since the Unix epoch.
    public var deadlineMs: Int64
    public var priority: UInt8
    /// Reports progress (stage `.progress`); cheap, and throttled before it leaves the node.
    public var progress: @Sendable (TaskProgress) -> Void

    public init(
        taskID: TaskID, skill: SkillID, requester: NodeID, deadlineMs: Int64, priority: UInt8,
        progress: @escaping @Sendable (TaskProgress) -> Void = { _ in }
    ) {
        self.taskID = taskID
        self.skill = skill
        self.requester = requester
        self.deadlineMs = deadlineMs
        self.priority = priority
        self.progress = progress
    }
}

