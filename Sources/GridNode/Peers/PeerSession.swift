import GridCore
import GridWire
import NIOCore

/// One established, authenticated connection to a peer.
struct PeerSession: Sendable {
    enum Direction: String, Sendable {
        case inbound, outbound
    }

    let id: UInt64
    let peer: NodeID
    let direction: Direction
    /// The remote end of the TCP connection.
    let remoteAddress: String
    /// Where the peer accepts connections, as it said in its Hello (made dialable; may be empty).
    let listenAddress: String
    let connectedAtMs: Int64
    /// The remote IP, for per-address limits.
    let ip: String
    /// A pinned or bootstrap peer: never closed to make room.
    let protected: Bool
    let outbound: NIOAsyncChannelOutboundWriter<OutboundFrame>
    let channel: any Channel

    /// Sends `frame` (encrypted: sessions exist only after the handshake).
    func send(_ frame: Grid_V1_Frame) async throws {
        try await outbound.write(.frame(frame))
    }

    /// Sends a claim this node signed (``NodeContext/sealed(_:)``).
    func send(_ claim: SealedClaim) async throws {
        try await outbound.write(.claim(claim))
    }

    /// The node that dialled this connection.
    func dialer(localNode: NodeID) -> NodeID {
        direction == .outbound ? localNode : peer
    }
}
