import Foundation
import GridCore
import GridCrypto

/// A `grid.v1.ConvictionEvidence` whose structure is checked: every signature verifies, every run
/// answers the same task of one requester, and the witnesses — distinct nodes other than the
/// accused — agree on an output the accused's differs from (Protocol/README.md,
/// `grid.v1.ConvictionEvidence`). Pure: no clock, no trust; whether the proof convicts is the
/// receiver's judgement (`EvidenceJudge` in GridCore).
public struct ConvictionEvidenceMessage: Sendable {
    /// Witness runs at least and at most.
    public static let witnessBounds = 2...6
    /// Bytes left for the envelope and the frame around the evidence: its signature, author,
    /// payload type, timestamp, nonce and the fields' tags and lengths need fewer than 300.
    public static let envelopeAllowance = 1024

    /// The largest serialized evidence whose envelope fits in a frame of `frameLimit` bytes
    /// (the setting `maxFrameBytes`).
    public static func maxBytes(frameLimit: Int) -> Int { frameLimit - envelopeAllowance }

    /// One checked run of the task.
    public struct Run: Sendable {
        public let request: Grid_V1_TaskRequest
        public let result: Grid_V1_TaskResult
        public let signed: Grid_V1_SignedRun
        /// The node that ran the task and signed the result.
        public let executor: NodeID
        public let output: [UInt8]
        /// SHA-256 of the output.
        public var outputDigest: [UInt8] { SHA256.digest(output) }
    }

    public let wire: Grid_V1_ConvictionEvidence
    public let taskID: TaskID
    public let skill: SkillID
    public let input: [UInt8]
    /// The node that signed every request.
    public let requester: NodeID
    public let accused: Run
    public let witnesses: [Run]

    public var accusedNode: NodeID { accused.executor }
    public var witnessNodes: [NodeID] { witnesses.map(\.executor) }
    /// The output every witness returned.
    public var witnessOutput: [UInt8] { witnesses[0].output }

    /// Checks `wire`, throwing the first rule it breaks. `payloadBytes` is its serialized size when
    /// the caller has it (as received); otherwise it is serialized to be measured.
    public init(_ wire: Grid_V1_ConvictionEvidence, maxBytes: Int, payloadBytes: Int? = nil) throws(ConvictionEvidenceError) {
        let size = payloadBytes ?? ((try? wire.serializedBytes() as [UInt8])?.count ?? .max)
        guard size <= maxBytes else {
            throw ConvictionEvidenceError(.tooLarge, "the evidence is \(size) bytes; at most \(maxBytes) fit in a frame with its envelope")
        }
        guard Self.witnessBounds.contains(wire.witnesses.count) else {
            throw ConvictionEvidenceError(
                .witnessCount,
                "the evidence has \(wire.witnesses.count) witness runs; it needs \(Self.witnessBounds.lowerBound) to \(Self.witnessBounds.upperBound)")
        }
        let named = [("the accused's run", wire.accused)] + wire.witnesses.enumerated().map { ("witness run \($0.offset + 1)", $0.element) }
        var runs: [(name: String, request: Grid_V1_TaskRequest, requester: NodeID, result: Grid_V1_TaskResult, executor: NodeID)] = []
        for (name, run) in named {
            let request = try Self.open(run.request, present: run.hasRequest, as: Grid_V1_TaskRequest.self, "\(name)'s request")
            let result = try Self.open(run.result, present: run.hasResult, as: Grid_V1_TaskResult.self, "\(name)'s result")
            runs.append((name, request.message, request.author, result.message, result.author))
        }

        let first = runs[0].request
        guard let taskID = try? TaskID(bytes: Array(first.taskID)) else {
            throw ConvictionEvidenceError(.invalidTask, "the task_id is \(first.taskID.count) bytes; task IDs are \(TaskID.byteCount)")
        }
        let skill: SkillID
        do { skill = try SkillID(first.skill) } catch {
            throw ConvictionEvidenceError(.invalidTask, "the task's skill is not a skill name: \(error.message)")
        }
        for run in runs.dropFirst() {
            guard run.request.taskID == first.taskID, run.request.skill == first.skill, run.request.input == first.input else {
                throw ConvictionEvidenceError(
                    .differentTask,
                    "\(run.name) asks for another task than the accused's (task_id, skill and input must all be the same)")
            }
        }
        let requester = runs[0].requester
        for run in runs.dropFirst() where run.requester != requester {
            throw ConvictionEvidenceError(
                .differentRequester, "\(run.name)'s request is signed by \(run.requester.short), the accused's by \(requester.short); one requester signs them all")
        }
        var outputs: [[UInt8]] = []
        for (index, run) in runs.enumerated() {
            guard run.result.taskID == run.request.taskID else {
                throw ConvictionEvidenceError(.resultTaskMismatch, "\(run.name)'s result is for task_id \(Hex.encode(Array(run.result.taskID.prefix(16)))), not its request's")
            }
            let digest = SHA256.digest(Array(named[index].1.request.payload))
            guard Array(run.result.requestDigest) == digest else {
                throw ConvictionEvidenceError(
                    .requestDigestMismatch, "\(run.name)'s result names another request: its request_digest is not the SHA-256 of its request's payload")
            }
            guard case .output(let output)? = run.result.outcome else {
                throw ConvictionEvidenceError(.noOutput, "\(run.name)'s result carries \(run.result.outcome == nil ? "nothing" : "an error"), not an output")
            }
            outputs.append(Array(output))
        }
        let accusedNode = runs[0].executor
        var seen: Set<NodeID> = []
        for run in runs.dropFirst() {
            guard run.executor != accusedNode else {
                throw ConvictionEvidenceError(.witnessIsAccused, "\(run.name)'s result is signed by the accused \(accusedNode.short); a node cannot witness against itself")
            }
            guard seen.insert(run.executor).inserted else {
                throw ConvictionEvidenceError(.duplicateWitness, "\(run.name)'s result is signed by \(run.executor.short), who signed an earlier witness run; witnesses are distinct nodes")
            }
        }
        let witnessOutput = outputs[1]
        for (index, output) in outputs.enumerated().dropFirst(2) where output != witnessOutput {
            throw ConvictionEvidenceError(.witnessesDisagree, "\(runs[index].name)'s output differs from witness run 1's; the witnesses must agree byte for byte")
        }
        guard witnessOutput != outputs[0] else {
            throw ConvictionEvidenceError(.sameOutput, "the witnesses' output is the accused's own: nothing is shown wrong")
        }

        self.wire = wire
        self.taskID = taskID
        self.skill = skill
        input = Array(first.input)
        self.requester = requester
        let checked = runs.enumerated().map { index, run in
            Run(request: run.request, result: run.result, signed: named[index].1, executor: run.executor, output: outputs[index])
        }
        accused = checked[0]
        witnesses = Array(checked.dropFirst())
    }

    /// Builds the evidence from the accused's run and the witnesses', and checks it as a receiver
    /// would: what a node calls before sharing its proof.
    public init(accused: Grid_V1_SignedRun, witnesses: [Grid_V1_SignedRun], maxBytes: Int) throws(ConvictionEvidenceError) {
        var wire = Grid_V1_ConvictionEvidence()
        wire.accused = accused
        wire.witnesses = witnesses
        try self.init(wire, maxBytes: maxBytes)
    }

    /// The verified payload of `envelope` as `M`, with its author; each failure names its rule.
    private static func open<M: WireMessage>(
        _ envelope: Grid_V1_SignedEnvelope, present: Bool, as type: M.Type, _ name: String
    ) throws(ConvictionEvidenceError) -> (message: M, author: NodeID) {
        guard present else { throw ConvictionEvidenceError(.badSignature, "\(name) is missing") }
        let claim: VerifiedEnvelope
        do { claim = try envelope.verify() } catch {
            throw ConvictionEvidenceError(.badSignature, "\(name): \(error.message)")
        }
        guard claim.payloadType == M.protoMessageName else {
            throw ConvictionEvidenceError(.wrongPayloadType, "\(name) is a \(claim.payloadType.prefix(255)), not a \(M.protoMessageName)")
        }
        do {
            return (try M(serializedBytes: claim.payload), claim.author)
        } catch {
            throw ConvictionEvidenceError(.malformedPayload, "\(name)'s payload does not parse as a \(M.protoMessageName)")
        }
    }
}
