import GridCore
import GridLocalAPI

/// `peers.add`, `peers.ban`, `peers.unban` and `peers.remove`: the operator's say over which peers
/// this node dials and accepts.
extension LocalAPIHandler {
    func addPeer(_ params: PeerAddParams?) async throws(RPCError) -> PeerActionResult {
        guard let params else { throw invalid("peers.add needs params: {\"address\": \"host:port\"}") }
        let address: HostPort
        let key: NodeID?
        do throws(GridError) {
            address = try HostPort(parsing: params.address)
            guard address.port > 0, !address.isUnspecified else { throw GridError(.invalidAddress, "\(address) cannot be dialled") }
            key = try params.nodeId.map { hex throws(GridError) in try NodeID(hex: hex) }
        } catch {
            throw invalid(error.message)
        }
        if let key {
            guard key != node.nodeID else { throw invalid("that is this node's own ID") }
            do { try await node.database.background { try $0.pinPeer(key, addresses: [address.description], atMs: WallClock.nowMs()) } } catch {
                throw RPCError(code: RPCError.unavailable, message: error.message)
            }
            await node.reputation.preTrust([key])  // an operator-pinned key is pre-trusted
        }
        _ = await node.peers.withdrawDials(address: address.description)  // the new pin replaces any dialer there
        node.discovery.keepDialling(BootstrapPeer(name: "added", address: address, publicKey: key, pinnedBy: .operatorAdded))
        return PeerActionResult(
            done: key == nil
                ? "dialling \(address); it is kept in the address book once it answers"
                : "pinned \(key!.short) at \(address) in the address book; dialling it")
    }

    func banPeer(_ params: PeerBanParams?) async throws(RPCError) -> PeerActionResult {
        guard let params else { throw invalid("peers.ban needs params: {\"nodeId\": \"<64 hex digits>\"}") }
        let peer: NodeID
        do { peer = try NodeID(hex: params.nodeId) } catch { throw invalid("nodeId: \(error.message)") }
        guard peer != node.nodeID else { throw invalid("a node cannot ban itself") }
        let reason = params.reason ?? "banned by the operator"
        do { try await node.database.background { try $0.banPeer(peer, reason: reason, atMs: WallClock.nowMs()) } } catch {
            throw RPCError(code: RPCError.unavailable, message: error.message)
        }
        let wasConnected = await node.peers.disconnect(peer, code: .banned, message: "the operator of node \(node.nodeID.short) has banned your node")
        return PeerActionResult(done: "banned \(peer.short)\(wasConnected ? " and disconnected it" : ""); it is never dialled or accepted again")
    }

    /// `peers.unban`: lifts the operator's ban and any ban for misbehaviour, and clears the
    /// peer's misbehaviour score.
    func unbanPeer(_ params: PeerBanParams?) async throws(RPCError) -> PeerActionResult {
        guard let params else { throw invalid("peers.unban needs params: {\"nodeId\": \"<64 hex digits>\"}") }
        let peer: NodeID
        do { peer = try NodeID(hex: params.nodeId) } catch { throw invalid("nodeId: \(error.message)") }
        let byOperator: Bool
        do { byOperator = try await node.database.background { try $0.unbanPeer(peer) } } catch {
            throw RPCError(code: RPCError.unavailable, message: error.message)
        }
        let forMisbehaviour = await node.peers.forgive(peer)
        guard byOperator || forMisbehaviour else {
            throw RPCError(code: RPCError.invalidParams, message: "\(peer.short) is not banned here; `gridnode peers` lists the banned peers")
        }
        return PeerActionResult(
            done: "unbanned \(peer.short)\(byOperator ? "" : " (banned for misbehaviour; its score is cleared)"); it may connect again"
                + (byOperator ? ", and is dialled again after the next start if it is in the address book" : ""))
    }

    /// `peers.remove`: takes a peer out of the address book — by node ID, or every peer listed at an
    /// address — and stops dialling it, so a mistyped pin can be undone.
    func removePeer(_ params: PeerRemoveParams?) async throws(RPCError) -> PeerActionResult {
        guard let params, (params.nodeId == nil) != (params.address == nil) else {
            throw invalid("peers.remove needs params with one of nodeId or address: {\"nodeId\": \"<64 hex digits>\"} or {\"address\": \"host:port\"}")
        }
        var removed: [String] = []
        var stopped: [String] = []
        var inBootstrap: [BootstrapPeer] = []
        do {
            if let hex = params.nodeId {
                let peer: NodeID
                do { peer = try NodeID(hex: hex) } catch { throw invalid("nodeId: \(error.message)") }
                if try await node.database.background({ try $0.knownPeer(peer) })?.isBanned == true {
                    throw invalid("\(peer.short) is banned; `gridnode peers unban` it first (a removed ban would let it in again)")
                }
                if try await node.database.background({ try $0.forgetPeer(peer) }) { removed = [peer.hex] }
                stopped = await node.peers.withdrawDials(key: peer)
                inBootstrap = bootstrap.filter { $0.publicKey == peer }
            } else if let text = params.address {
                let address: HostPort
                do { address = try HostPort(parsing: text) } catch { throw invalid("address: \(error.message)") }
                removed = try await node.database.background { try $0.forgetPeers(at: address.description) }
                stopped = await node.peers.withdrawDials(address: address.description)
                inBootstrap = bootstrap.filter { $0.address == address }
            }
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(code: RPCError.unavailable, message: "\(error)")
        }
        guard !removed.isEmpty || !stopped.isEmpty else {
            throw RPCError(
                code: RPCError.invalidParams,
                message: "no peer \(params.nodeId ?? params.address ?? "") in the address book or being dialled; `gridnode peers` lists them")
        }
        var done = removed.isEmpty ? "" : "removed \(removed.map { String($0.prefix(8)) }.joined(separator: ", ")) from the address book"
        if !stopped.isEmpty { done += (done.isEmpty ? "" : "; ") + "stopped dialling \(stopped.joined(separator: ", "))" }
        if !inBootstrap.isEmpty {
            done += "; it is in the bootstrap file too: remove it there, or it is dialled and pinned again at the next start"
        }
        return PeerActionResult(done: done)
    }
}
