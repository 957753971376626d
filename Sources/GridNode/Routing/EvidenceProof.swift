import GridCore
import GridCrypto
import GridWire

/// The proof of one conviction by this node's runs, to share (a `ConvictionEvidence`): the
/// accused's run — the TaskRequest as this node signed and sent it, and the accused's signed
/// result — and the agreeing runs as witnesses (a peer's the same way; this node's own as a
/// self-run it signs now). Built off the coordinator, only after the conviction.
struct EvidenceProof: Sendable {
    var task: TaskSpec
    var accused: NodeID
    var agreeing: [NodeID]
    var signedResults: [NodeID: Grid_V1_SignedEnvelope]
    var sentRequests: [NodeID: SealedClaim]

    /// The proof, checked as a receiver would check it; nil (and why, logged) when there is none
    /// to share: fewer than two witnesses, a request not kept, or a proof peers would refuse.
    func build(node: NodeContext) -> Grid_V1_ConvictionEvidence? {
        guard agreeing.count >= 2 else {
            node.logger.debug("task \(task.id): one run against \(accused.short), too few witnesses to share the proof")
            return nil
        }
        do {
            guard let accusedRun = try run(of: accused, node: node) else { return nil }
            var witnesses: [Grid_V1_SignedRun] = []
            for witness in agreeing.prefix(6) {
                guard let run = try run(of: witness, node: node) else { return nil }
                witnesses.append(run)
            }
            let message = try ConvictionEvidenceMessage(
                accused: accusedRun, witnesses: witnesses, maxBytes: ConvictionEvidenceMessage.maxBytes(frameLimit: node.settings.maxFrameBytes))
            return message.wire
        } catch {
            node.logger.info("task \(task.id): the proof against \(accused.short) cannot be shared: \(error)")
            return nil
        }
    }

    private func run(of executor: NodeID, node: NodeContext) throws -> Grid_V1_SignedRun? {
        guard let result = signedResults[executor] else { return nil }
        if executor == node.nodeID {
            guard let output = Self.output(of: result) else { return nil }
            return try Grid_V1_SignedRun.selfRun(taskID: task.id, skill: task.skill, input: task.input, output: output, sealer: node.sealer)
        }
        guard let request = sentRequests[executor] else {
            node.logger.debug("task \(task.id): the request sent to \(executor.short) was not kept")
            return nil
        }
        return Grid_V1_SignedRun(request: try request.envelope(), result: result)
    }

    private static func output(of envelope: Grid_V1_SignedEnvelope) -> [UInt8]? {
        guard let result = try? Grid_V1_TaskResult(serializedBytes: envelope.payload), case .output(let output)? = result.outcome else {
            return nil
        }
        return Array(output)
    }
}
