/// How a task ended: the skill's output, or why there is none.
public enum TaskOutcome: Sendable, Equatable {
    case success(output: [UInt8])
    case failure(TaskFailure)

    public var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}

/// Why a task produced no output, with a message that tells the application what to do.
public struct TaskFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// The skill ran and reported failure; its message is the skill's own.
        case skillFailed = "skill_failed"
        /// The skill could not use the input.
        case invalidInput = "invalid_input"
        /// The deadline passed before a result arrived.
        case timedOut = "timed_out"
        /// No node reachable from here serves the skill.
        case noProvider = "no_provider"
        /// Every candidate refused the task or was lost while running it.
        case allCandidatesFailed = "all_candidates_failed"
        /// The input is larger than a node accepts.
        case tooLarge = "too_large"
        /// The executing node failed for a reason of its own.
        case `internal` = "internal"
        /// The application cancelled the task.
        case cancelled = "cancelled"
        /// The replicas of a replicated task did not agree: no output had a strict majority.
        case noQuorum = "no_quorum"
        /// The queue for the task's priority is full: back off and retry, or use another priority.
        case queueFull = "queue_full"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
