import Foundation
import GridCore
import GridCrypto
import GridNode
import GridWire
import NIOCore
import NIOPosix

/// A hand-driven peer for tests: completes the real handshake as `identity`, then sends whatever
/// frames a test builds, forged or malformed ones included.
public final class RawPeerConnection {
    public let peer: NodeID
    public let identity: SigningIdentity
    private var inbound: NIOAsyncChannelInboundStream<Grid_V1_Frame>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<Grid_V1_Frame>

    init(peer: NodeID, identity: SigningIdentity, inbound: NIOAsyncChannelInboundStream<Grid_V1_Frame>.AsyncIterator,
         outbound: NIOAsyncChannelOutboundWriter<Grid_V1_Frame>) {
        self.peer = peer
        self.identity = identity
        self.inbound = inbound
        self.outbound = outbound
    }

    public func send(_ frame: Grid_V1_Frame) async throws {
        try await outbound.write(frame)
    }

    /// Seals `message` as this peer's identity.
    public func sealed<M: WireMessage>(_ message: M, by author: SigningIdentity? = nil) throws -> Grid_V1_Frame {
        let envelope = try Grid_V1_SignedEnvelope.seal(
            message, by: author ?? identity, timestampMs: UInt64(Date().timeIntervalSince1970 * 1000), nonce: SecureRandom.bytes(16))
        return .with { $0.envelope = envelope }
    }

    /// The next frame, or nil once the node closed the connection.
    public func next() async throws -> Grid_V1_Frame? {
        try await inbound.next()
    }

    /// The next verified claim of type `M`, skipping claims of other types.
    public func nextClaim<M: WireMessage>(_ type: M.Type) async throws -> M? {
        while let frame = try await next() {
            guard case .envelope(let envelope) = frame.body else { continue }
            let claim = try envelope.verify()
            if claim.payloadType == M.protoMessageName { return try claim.decode(M.self) }
        }
        return nil
    }
}

public enum RawPeer {
    /// Dials `address`, handshakes as `identity`, runs `body`, closes. With `presenting`, the Hello
    /// names that key instead of the identity's own: an impostor the node must refuse.
    public static func withConnection<R>(
        to address: HostPort, identity: SigningIdentity = SigningIdentity(), presenting: NodeID? = nil,
        _ body: (RawPeerConnection) async throws -> R
    ) async throws -> R {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: address.host, port: address.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(FrameEncoder()))
                    return try NIOAsyncChannel<Grid_V1_Frame, Grid_V1_Frame>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var frames = inbound.makeAsyncIterator()
            var machine = HandshakeMachine(
                identity: identity, challenge: SecureRandom.bytes(32), listenAddress: "", expectedPeer: nil)
            var actions = machine.start()
            while true {
                for action in actions {
                    switch action {
                    case .send(var frame):
                        if let presenting, case .hello = frame.body { frame.hello.nodeID = Data(presenting.bytes) }
                        try await outbound.write(frame)
                    case .established(let peer):
                        return try await body(RawPeerConnection(peer: peer.nodeID, identity: identity, inbound: frames, outbound: outbound))
                    case .fail(let error, _): throw error
                    }
                }
                guard let frame = try await frames.next() else { throw TestKitError("node closed during the handshake") }
                actions = machine.receive(frame)
            }
        }
    }
}
