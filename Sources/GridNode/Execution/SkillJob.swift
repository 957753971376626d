import GridCore
import NIOConcurrencyHelpers

/// One task for the local executor: what to run, for whom, until when, and whom to tell as it goes.
struct SkillJob: Sendable {
    var taskID: TaskID
    var skill: SkillID
    var input: [UInt8]
    var priority: UInt8
    var requester: NodeID
    /// When the requester gives up, in milliseconds since the Unix epoch.
    var deadlineMs: Int64
    /// The task left the queue and began running (on a provider, for a served skill).
    var onStart: @Sendable () -> Void = {}
    var onProgress: @Sendable (TaskProgress) -> Void = { _ in }

    var context: SkillContext {
        SkillContext(taskID: taskID, skill: skill, requester: requester, deadlineMs: deadlineMs, priority: priority, progress: onProgress)
    }
}

/// Something outside the node that runs tasks of the skills it serves: an application connected to
/// the local socket. The executor hands it a task once a place is free.
protocol TaskProvider: AnyObject, Sendable {
    /// Runs `job`. Cancellation means the deadline passed or the requester cancelled: tell the
    /// provider and return at once.
    func run(_ job: SkillJob) async -> ProviderAnswer
}

/// How a provider ended a task.
enum ProviderAnswer: Sendable, Equatable {
    case outcome(TaskOutcome)
    /// The provider went away (or was withdrawn) before answering: the task goes to another one.
    case handedBack(String)
}

/// A queued task's claim on a slot, resolved once: granted when a slot passes to it, or why not.
final class SlotGrant: Sendable {
    enum Resolution: Sendable, Equatable {
        case granted
        /// The waiter gave up (cancelled: deadline or requester).
        case gaveUp
        /// Nothing serves the skill any more.
        case noProvider(String)
    }

    private let state = NIOLockedValueBox<(resolution: Resolution?, waiter: CheckedContinuation<Resolution, Never>?)>((nil, nil))

    func resolve(_ resolution: Resolution) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Resolution, Never>? in
            guard state.resolution == nil else { return nil }
            state.resolution = resolution
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: resolution)
    }

    func wait() async -> Resolution {
        await withCheckedContinuation { continuation in
            let resolution = state.withLockedValue { state -> Resolution? in
                if let resolution = state.resolution { return resolution }
                state.waiter = continuation
                return nil
            }
            if let resolution { continuation.resume(returning: resolution) }
        }
    }
}
