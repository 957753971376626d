import Foundation
import GridCore

extension GridError.Code {
    /// A TaskProgress whose fields break the rules of Protocol/README.md (`grid.v1.TaskProgress`).
    public static let progressMalformed = Self("wire.progress_malformed")
}

/// A `grid.v1.TaskProgress` whose fields are checked: what an executor sends and a requester reads
/// (Protocol/README.md, `grid.v1.TaskProgress`).
public struct TaskProgressMessage: Sendable, Hashable {
    /// Bytes of `request_digest`: a SHA-256.
    public static let digestByteCount = 32

    public let taskID: TaskID
    /// SHA-256 of the payload bytes of the TaskRequest this progress belongs to.
    public let requestDigest: [UInt8]
    public let progress: TaskProgress
    /// 1 for the task's first report from its executor, one more for each after.
    public let sequence: UInt32

    /// The executor's side: a report to send. `fraction` is clamped to `0...1` and `message` cut to
    /// 200 bytes (``TaskProgress/init(stage:fraction:message:)``); a digest that is not 32 bytes or
    /// a sequence of 0 throws ``GridError/Code/invalidArgument``.
    public init(
        taskID: TaskID, requestDigest: [UInt8], stage: TaskProgress.Stage, fraction: Double?, message: String?, sequence: UInt32
    ) throws(GridError) {
        try self.init(
            taskID: taskID, requestDigest: requestDigest, progress: TaskProgress(stage: stage, fraction: fraction, message: message),
            sequence: sequence)
    }

    /// The executor's side, from a ``ProgressThrottle`` report.
    public init(taskID: TaskID, requestDigest: [UInt8], progress: TaskProgress, sequence: UInt32) throws(GridError) {
        guard requestDigest.count == Self.digestByteCount else {
            throw GridError(.invalidArgument, "a request digest is \(Self.digestByteCount) bytes (a SHA-256); got \(requestDigest.count)")
        }
        guard sequence > 0 else {
            throw GridError(.invalidArgument, "progress sequences start at 1")
        }
        self.taskID = taskID
        self.requestDigest = requestDigest
        self.progress = progress
        self.sequence = sequence
    }

    /// The requester's side: `wire` as received. Throws ``GridError/Code/progressMalformed``
    /// naming the first field that breaks its rule; the receiver drops such a message as `malformed`.
    public init(_ wire: Grid_V1_TaskProgress) throws(GridError) {
        guard let taskID = try? TaskID(bytes: Array(wire.taskID)) else {
            throw GridError(.progressMalformed, "a TaskProgress task_id is \(wire.taskID.count) bytes; it must be \(TaskID.byteCount)")
        }
        guard wire.requestDigest.count == Self.digestByteCount else {
            throw GridError(
                .progressMalformed,
                "a TaskProgress request_digest is \(wire.requestDigest.count) bytes; it must be \(Self.digestByteCount) (a SHA-256)")
        }
        let stage: TaskProgress.Stage
        switch wire.stage {
        case .started: stage = .started
        case .progress: stage = .progress
        case .unspecified, .UNRECOGNIZED:
            throw GridError(.progressMalformed, "a TaskProgress stage of \(wire.stage.rawValue); it must be 1 (started) or 2 (progress)")
        }
        guard wire.sequence > 0 else {
            throw GridError(.progressMalformed, "a TaskProgress sequence of 0; sequences start at 1")
        }
        let progress: TaskProgress
        do {
            progress = try TaskProgress(stage: stage, fractionPPM: wire.hasFraction_p ? wire.fractionPpm : nil, message: wire.message)
        } catch {
            throw GridError(.progressMalformed, "a TaskProgress out of bounds: \(error.message)")
        }
        self.taskID = taskID
        requestDigest = Array(wire.requestDigest)
        self.progress = progress
        self.sequence = wire.sequence
    }

    /// The message to seal and send.
    public var wire: Grid_V1_TaskProgress {
        var wire = Grid_V1_TaskProgress()
        wire.taskID = Data(taskID.bytes)
        wire.requestDigest = Data(requestDigest)
        wire.stage = progress.stage == .started ? .started : .progress
        if let ppm = progress.fractionPPM {
            wire.hasFraction_p = true
            wire.fractionPpm = ppm
        }
        wire.message = progress.message
        wire.sequence = sequence
        return wire
    }
}
