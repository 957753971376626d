import Foundation
import GridCore
import GridCrypto
import GridWire

/// Signed messages to peers, in order per peer.
extension DelegationCoordinator {
    func send(_ task: TaskSpec, to peer: NodeID, deadline: Duration) {
        var request = Grid_V1_TaskRequest()
        request.taskID = Data(task.id.bytes)
        request.skill = task.skill.name
        request.input = Data(task.input)
        request.deadlineMs = UInt32(clamping: deadline.milliseconds)
        request.priority = UInt32(task.priority)
        request.minTrustPpm = UInt32((task.minimumTrust * 1_000_000).rounded())
        // Signed in the send's task, off the coordinator; the request as sent is kept afterwards,
        // to pair with the peer's result as evidence if that result proves wrong.
        enqueueSend(request, to: peer, sent: { [weak self] claim in await self?.keepRequest(claim, task: task.id, peer: peer) }) {
            [weak self] error in
            self?.node.logger.info("could not send task \(task.id) to \(peer.short): \(error)")
            await self?.sendFailed(task.id, to: peer)
        }
    }

    func keepRequest(_ claim: SealedClaim, task: TaskID, peer: NodeID) {
        inflight[task]?.sentRequests[peer] = claim
    }

    /// Signs and sends `message` to `peer` after every earlier send to it (signed in the send's
    /// task, off the coordinator).
    func enqueueSend<M: WireMessage>(
        _ message: M, to peer: NodeID, sent: (@Sendable (SealedClaim) async -> Void)? = nil,
        onFailure: @escaping @Sendable (any Error) async -> Void = { _ in }
    ) {
        let node = node
        let previous = sendChains[peer]
        sendChains[peer] = node.tasks.spawnHandle {
            await previous?.wait()
            do {
                guard let session = await node.peers.session(for: peer) else {
                    throw GridError(.invalidArgument, "not connected")
                }
                let claim = try node.sealed(message)
                try await session.send(claim)
                if let sent { node.tasks.spawn { await sent(claim) } }  // not holding up the next send
            } catch {
                await onFailure(error)
            }
        }
    }

    func cancel(_ task: TaskSpec, on peer: NodeID, reason: String) {
        var cancel = Grid_V1_TaskCancel()
        cancel.taskID = Data(task.id.bytes)
        cancel.reason = reason
        enqueueSend(cancel, to: peer)
    }

    /// Delivers the outcome and ends the task.
}
