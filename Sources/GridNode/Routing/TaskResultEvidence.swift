import Foundation
import GridCore
import GridCrypto
import GridStore
import GridWire

/// Building and keeping the evidence of a wrong result: two signed TaskResults that disagree.
enum TaskResultEvidence {
    /// This node's own result for `task`, to sign and keep beside a peer's.
    static func ownResult(_ task: TaskSpec, output: [UInt8]) -> Grid_V1_TaskResult {
        var result = Grid_V1_TaskResult()
        result.taskID = Data(task.id.bytes)
        result.output = Data(output)
        return result
    }

    /// Stores the two results in the background (logging, not failing, when the store cannot take
    /// them). `conviction` is the whole proof, a serialized `grid.v1.ConvictionEvidence`, when there
    /// is one to pass on: peers that connect later are sent it (``EvidenceGossip/peerConnected(_:)``).
    static func store(
        node: NodeContext, against peer: NodeID, task: TaskSpec, kind: EvidenceRecord.Kind, theirs: Grid_V1_SignedEnvelope,
        otherNode: NodeID, other: Grid_V1_SignedEnvelope, conviction: [UInt8]? = nil
    ) {
        do {
            let record = EvidenceRecord(
                peer: peer, taskID: task.id, skill: task.skill, kind: kind, theirDigest: digest(of: theirs), theirResult: try theirs.serializedBytes(),
                otherNode: otherNode, otherDigest: digest(of: other), otherResult: try other.serializedBytes(), atMs: WallClock.nowMs(),
                conviction: conviction)
            node.tasks.spawn {
                do {
                    try await node.database.background { try $0.recordEvidence(record) }
                } catch {
                    node.logger.error("could not keep the evidence against \(peer.short) for task \(task.id): \(error)")
                }
            }
        } catch {
            node.logger.error("could not keep the evidence against \(peer.short) for task \(task.id): \(error)")
        }
    }

    /// SHA-256 of the output in a signed TaskResult, hex ("" when it carries none).
    static func digest(of envelope: Grid_V1_SignedEnvelope) -> String {
        guard let result = try? Grid_V1_TaskResult(serializedBytes: envelope.payload) else { return "" }
        guard case .output(let output)? = result.outcome else { return "" }
        return SHA256.hex(Array(output))
    }
}
