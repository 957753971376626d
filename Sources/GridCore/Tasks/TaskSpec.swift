/// What an application asked for: run `skill` on `input` within `timeout`.
public struct TaskSpec: Sendable, Equatable {
    /// Priority when the application gives none: the middle of the "normal" band (64-127).
    public static let defaultPriority: UInt8 = 96

    public var id: TaskID
    public var skill: SkillID
    public var input: [UInt8]
    /// 0-255: 192-255 critical, 128-191 high, 64-127 normal, 0-63 low.
    public var priority: UInt8
    /// How long the application is willing to wait for the result, from submission.
    public var timeout: Duration
    /// Distinct nodes that run the task; with more than one, the output a strict majority of them
    /// agree on is the result (``ResultVote``). 1 to ``maxReplicas``.
    public var replicas: Int
    /// Least trust score (0...1) an executor must have.
    public var minimumTrust: Double
    /// Retry an application error (the skill ran and said no) like a transient failure.
    public var retryApplicationErrors: Bool
    /// The output depends only on (skill, input): an identical cacheable task within the node's
    /// cache window reuses this one's result, or joins it while it runs.
    public var cacheable: Bool
    /// How much the node verifies the result (``VerifyMode``): checked now and then by default,
    /// before delivery when strict, not at all when off.
    public var verify: VerifyMode

    /// Most replicas a task may ask for.
    public static let maxReplicas = 7

    public init(
        id: TaskID, skill: SkillID, input: [UInt8], priority: UInt8 = defaultPriority, timeout: Duration, replicas: Int = 1,
        minimumTrust: Double = 0, retryApplicationErrors: Bool = false, cacheable: Bool = false, verify: VerifyMode = .sample
    ) {
        precondition((1...Self.maxReplicas).contains(replicas), "validated by callers")
        self.id = id
        self.skill = skill
        self.input = input
        self.priority = priority
        self.timeout = timeout
        self.replicas = replicas
        self.minimumTrust = minimumTrust
        self.retryApplicationErrors = retryApplicationErrors
        self.cacheable = cacheable
        self.verify = verify
    }
}
