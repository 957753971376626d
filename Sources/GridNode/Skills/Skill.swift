import GridCore

/// Work this node can do itself. Runs on the cooperative pool: a skill that blocks must hop off it.
public protocol Skill: Sendable {
    /// Runs on `input`. Cancellation (deadline passed) should end it early.
    func run(_ input: [UInt8]) async -> TaskOutcome
    /// Runs one task, knowing which it is and able to report progress. By default, ``run(_:)``.
    func run(_ input: [UInt8], context: SkillContext) async -> TaskOutcome
}

extension Skill {
    public func run(_ input: [UInt8], context: SkillContext) async -> TaskOutcome { await run(input) }
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
    /// Reports progress; cheap, and throttled before it leaves the node.
    public var progress: @Sendable (SkillProgress) -> Void

    public init(
        taskID: TaskID, skill: SkillID, requester: NodeID, deadlineMs: Int64, priority: UInt8,
        progress: @escaping @Sendable (SkillProgress) -> Void = { _ in }
    ) {
        self.taskID = taskID
        self.skill = skill
        self.requester = requester
        self.deadlineMs = deadlineMs
        self.priority = priority
        self.progress = progress
    }
}

/// One progress report of a running task: how much is done, and/or what is happening.
public struct SkillProgress: Sendable, Equatable {
    /// 0-1, when known.
    public var fraction: Double?
    /// At most ``maxMessageBytes`` bytes of UTF-8 (longer is cut).
    public var message: String?

    public static let maxMessageBytes = 200

    public init(fraction: Double? = nil, message: String? = nil) {
        self.fraction = fraction.map { min(1, max(0, $0)) }
        self.message = message.map(Self.cut)
    }

    static func cut(_ text: String) -> String {
        guard text.utf8.count > maxMessageBytes else { return text }
        var out = ""
        for character in text {
            guard out.utf8.count + character.utf8.count <= maxMessageBytes else { break }
            out.append(character)
        }
        return out
    }
}
