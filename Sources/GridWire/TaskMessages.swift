import Foundation
import GridCore

extension TaskFailure.Code {
    /// The code a TaskResult carries for this failure.
    public var wireCode: Grid_V1_TaskErrorCode {
        switch self {
        case .skillFailed: .skillFailed
        case .invalidInput: .invalidInput
        case .timedOut: .timedOut
        case .cancelled: .cancelled
        case .queueFull: .busy
        case .noProvider, .allCandidatesFailed, .tooLarge, .internal, .noQuorum: .internal
        }
    }

    public init(wire: Grid_V1_TaskErrorCode) {
        switch wire {
        case .skillFailed: self = .skillFailed
        case .invalidInput: self = .invalidInput
        case .timedOut: self = .timedOut
        case .cancelled: self = .cancelled
        case .busy: self = .queueFull
        case .unspecified, .internal, .UNRECOGNIZED: self = .internal
        }
    }
}

extension Grid_V1_TaskResult {
    /// The outcome this result reports. A result with neither output nor error counts as a failure.
    public var taskOutcome: TaskOutcome {
        switch outcome {
        case .output(let output): .success(output: Array(output))
        case .error(let error): .failure(TaskFailure(TaskFailure.Code(wire: error.code), error.message))
        case nil: .failure(TaskFailure(.internal, "the executor sent a result with neither output nor error"))
        }
    }
}

extension Grid_V1_TaskAck {
    /// How the requester's delegation treats this answer: nil when accepted. Busy is no failure
    /// (the task waits for room); a refusal that cannot change for the task rules the node out.
    public var refusal: DelegationMachine.Refusal? {
        guard !accepted else { return nil }
        let why = "\(reason.name): \(message.prefix(300))"
        switch reason {
        case .busy: return .busy(why)
        case .unknownSkill, .tooLarge, .untrusted, .invalid: return .permanent(why)
        case .expired, .unspecified, .UNRECOGNIZED: return .transient(why)
        }
    }
}

extension Grid_V1_RejectReason {
    /// A short name for logs and attempt lists.
    public var name: String {
        switch self {
        case .unspecified: "unspecified"
        case .unknownSkill: "unknown skill"
        case .busy: "busy"
        case .untrusted: "untrusted"
        case .expired: "expired"
        case .invalid: "invalid"
        case .tooLarge: "too large"
        case .UNRECOGNIZED(let value): "reason \(value)"
        }
    }
}
