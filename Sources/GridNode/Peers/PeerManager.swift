import GridCore
import GridLocalAPI
import GridWire
import NIOCore

/// The connections this node holds — at most one per peer — and the skills each peer announced.
actor PeerManager {
    let localNode: NodeID
    private var sessions: [NodeID: PeerSession] = [:]
    private(set) var registry = SkillRegistry()
    private var lastSessionID: UInt64 = 0

    init(localNode: NodeID) {
        self.localNode = localNode
    }

    func nextSessionID() -> UInt64 {
        lastSessionID += 1
        return lastSessionID
    }

    enum Registration {
        /// The session is the peer's connection now; `replaced`, if any, must be closed.
        case accepted(replaced: PeerSession?)
        /// The peer already has a connection that wins; close the new one.
        case duplicate
    }

    /// Adds an authenticated session. When both nodes dialled each other, both keep the connection
    /// dialled by the node with the smaller ID, so the two sides always agree without talking.
    func register(_ session: PeerSession) -> Registration {
        guard let existing = sessions[session.peer] else {
            sessions[session.peer] = session
            return .accepted(replaced: nil)
        }
        guard session.dialer(localNode: localNode) < existing.dialer(localNode: localNode) else {
            return .duplicate
        }
        sessions[session.peer] = session
        return .accepted(replaced: existing)
    }

    /// Removes a closed session. True when it was the peer's current one: the peer is gone.
    func unregister(_ session: PeerSession) -> Bool {
        guard sessions[session.peer]?.id == session.id else { return false }
        sessions[session.peer] = nil
        registry.remove(session.peer)
        return true
    }

    /// Records a peer's SkillAnnouncement, if the peer is still connected.
    func announced(by peer: NodeID, _ entry: SkillRegistry.Entry) {
        guard sessions[peer] != nil else { return }
        registry.update(peer, entry)
    }

    func session(for peer: NodeID) -> PeerSession? {
        sessions[peer]
    }

    /// The connected peer a bootstrap entry refers to, by pinned key or by address.
    func connectedPeer(matching entry: BootstrapPeer) -> NodeID? {
        if let key = entry.publicKey { return sessions[key] == nil ? nil : key }
        let address = entry.address.description
        return sessions.values.first { $0.listenAddress == address || ($0.direction == .outbound && $0.remoteAddress == address) }?.peer
    }

    var peerCount: Int { sessions.count }

    func views() -> [PeerView] {
        sessions.values.sorted { $0.peer < $1.peer }.map { session in
            PeerView(
                nodeId: session.peer.hex, address: session.remoteAddress, listenAddress: session.listenAddress,
                direction: session.direction.rawValue, skills: registry.skills(of: session.peer).map(\.name).sorted(),
                connectedAtMs: session.connectedAtMs)
        }
    }
}
