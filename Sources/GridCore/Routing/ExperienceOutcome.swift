/// How one task this node handed to a node (a peer, or itself) went, as experience.
public enum ExperienceOutcome: String, Sendable, CaseIterable, Codable {
    /// The node returned a result, and nothing showed it wrong.
    case success
    /// The skill ran and said no (bad input, the skill's own failure): honest, but no work done.
    case applicationError = "application_error"
    /// The node failed the task for a reason of its own, or the connection was lost under it.
    case failure
    /// No ack, or no result, in time.
    case timeout
    /// The node refused the task (busy, unknown skill, expired, …).
    case refusal
    /// The node's result disagreed with a spot-check or with the replicas' majority.
    case wrongResult = "wrong_result"

    /// Whether the outcome counts in the skill rating's success rate: refusals are about capacity
    /// (load and circuit breakers handle those), application errors about the input.
    public var isRated: Bool {
        switch self {
        case .success, .failure, .timeout, .wrongResult: true
        case .applicationError, .refusal: false
        }
    }
}
