import Foundation
import GridCore
import GridCrypto

extension Grid_V1_SignedRun {
    /// One run of a task: the requester's signed TaskRequest and the signed TaskResult answering it.
    public init(request: Grid_V1_SignedEnvelope, result: Grid_V1_SignedEnvelope) {
        self.init()
        self.request = request
        self.result = result
    }

    /// A run this node made of its own task, signed twice by it: as the requester (a TaskRequest
    /// with the task's `task_id`, `skill` and `input`) and as the executor (a TaskResult with
    /// `output`, whose `request_digest` is the SHA-256 of that request's payload). A requester that
    /// ran the task itself is a valid witness this way. `deadlineMs`, `priority` and `minTrustPpm`
    /// are for information only: evidence compares task ID, skill and input.
    public static func selfRun(
        taskID: TaskID, skill: SkillID, input: [UInt8], output: [UInt8], deadlineMs: UInt32 = 0, priority: UInt8 = 0,
        minTrustPpm: UInt32 = 0, executionTimeUs: UInt64 = 0, sealer: EnvelopeSealer
    ) throws -> Grid_V1_SignedRun {
        let request = try sealer.envelope(Self.request(taskID: taskID, skill: skill, input: input, deadlineMs: deadlineMs, priority: priority, minTrustPpm: minTrustPpm))
        let result = try sealer.envelope(Self.result(answering: request, output: output, executionTimeUs: executionTimeUs))
        return Grid_V1_SignedRun(request: request, result: result)
    }

    /// The same, signed as `identity` at `timestampMs` under the given nonces (for test vectors:
    /// fixed keys, times and nonces give fixed bytes).
    public static func selfRun(
        taskID: TaskID, skill: SkillID, input: [UInt8], output: [UInt8], deadlineMs: UInt32 = 0, priority: UInt8 = 0,
        minTrustPpm: UInt32 = 0, executionTimeUs: UInt64 = 0, by identity: SigningIdentity, timestampMs: UInt64,
        requestNonce: [UInt8], resultNonce: [UInt8]
    ) throws -> Grid_V1_SignedRun {
        let request = try Grid_V1_SignedEnvelope.seal(
            Self.request(taskID: taskID, skill: skill, input: input, deadlineMs: deadlineMs, priority: priority, minTrustPpm: minTrustPpm),
            by: identity, timestampMs: timestampMs, nonce: requestNonce)
        let result = try Grid_V1_SignedEnvelope.seal(
            Self.result(answering: request, output: output, executionTimeUs: executionTimeUs), by: identity, timestampMs: timestampMs,
            nonce: resultNonce)
        return Grid_V1_SignedRun(request: request, result: result)
    }

    /// A TaskResult with `output` answering the signed `request`: its `task_id` and its digest.
    public static func result(answering request: Grid_V1_SignedEnvelope, output: [UInt8], executionTimeUs: UInt64 = 0) throws -> Grid_V1_TaskResult {
        var result = Grid_V1_TaskResult()
        result.taskID = try Grid_V1_TaskRequest(serializedBytes: request.payload).taskID
        result.output = Data(output)
        result.executionTimeUs = executionTimeUs
        result.requestDigest = Data(SHA256.digest(Array(request.payload)))
        return result
    }

    private static func request(
        taskID: TaskID, skill: SkillID, input: [UInt8], deadlineMs: UInt32, priority: UInt8, minTrustPpm: UInt32
    ) -> Grid_V1_TaskRequest {
        var request = Grid_V1_TaskRequest()
        request.taskID = Data(taskID.bytes)
        request.skill = skill.name
        request.input = Data(input)
        request.deadlineMs = deadlineMs
        request.priority = UInt32(priority)
        request.minTrustPpm = minTrustPpm
        return request
    }
}

extension SealedClaim {
    /// The signed envelope inside the frame: a node keeps the TaskRequest it sent this way, to
    /// build a ``Grid_V1_SignedRun`` with the result that answers it.
    public func envelope() throws(GridError) -> Grid_V1_SignedEnvelope {
        let frame = try frame()
        guard case .envelope(let envelope)? = frame.body else {
            throw GridError(.frameMalformed, "a sealed claim's frame carries no envelope")
        }
        return envelope
    }
}
