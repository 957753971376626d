import GridCore
import GridLocalAPI

/// `faults.set`: a test grid's node takes a new ``FaultPlan``.
extension LocalAPIHandler {
    func setFaults(_ params: FaultPlan?) async throws(RPCError) -> FaultPlan {
        let plan = params ?? .none
        do {
            try node.faults.set(plan)
        } catch {
            throw RPCError(code: error.code == .faultsNotAllowed ? RPCError.faultsNotAllowed : RPCError.invalidParams, message: error.message)
        }
        // A partition cuts the connections that are open now; the dialers keep away until healed.
        for view in await node.peers.views() {
            guard let peer = try? NodeID(hex: view.nodeId), plan.isPartitioned(from: peer) else { continue }
            _ = await node.peers.disconnect(peer, code: .unspecified, message: "partitioned (a test grid's fault)")
        }
        node.logger.notice("faults now: \(plan.summary)")
        return plan
    }
}
