import Foundation
import GridCore
import GridCrypto
import GridNode
import GridWire
import NIOCore
import NIOPosix

/// A hand-driven peer for tests: completes the real handshake as `identity`, then sends whatever
/// frames a test builds — forged, malformed, or not frames at all.
public final class RawPeerConnection {
    public let peer: NodeID
    public let identity: SigningIdentity
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var sendCipher: FrameCipher
    private var receiveCipher: FrameCipher

    init(peer: NodeID, identity: SigningIdentity, inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
         outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, sendKey: [UInt8], receiveKey: [UInt8]) {
        self.peer = peer
        self.identity = identity
        self.inbound = inbound
        self.outbound = outbound
        sendCipher = FrameCipher(key: sendKey)
        receiveCipher = FrameCipher(key: receiveKey)
    }

    /// Sends `frame` encrypted, as a real node would.
    public func send(_ frame: Grid_V1_Frame) async throws {
        try await outbound.write(sendCipher.seal(frame, maxFrameBytes: 64 << 20))
    }

    /// Encrypts `frame` without sending it (to send later, twice, or out of order).
    public func seal(_ frame: Grid_V1_Frame) throws -> [UInt8] {
        Array(try sendCipher.seal(frame, maxFrameBytes: 64 << 20).readableBytesView)
    }

    /// Writes `bytes` to the connection as they are.
    public func sendRaw(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    /// Seals `message` as this peer's identity (or as `author`).
    public func sealed<M: WireMessage>(_ message: M, by author: SigningIdentity? = nil, timestampMs: UInt64? = nil) throws -> Grid_V1_Frame {
        let envelope = try Grid_V1_SignedEnvelope.seal(
            message, by: author ?? identity, timestampMs: timestampMs ?? UInt64(Date().timeIntervalSince1970 * 1000),
            nonce: SecureRandom.bytes(16))
        return .with { $0.envelope = envelope }
    }

    /// The next frame the node sent, or nil once it closed the connection.
    public func next() async throws -> Grid_V1_Frame? {
        guard let body = try await inbound.next() else { return nil }
        return try receiveCipher.open(body.readableBytesView)
    }

    /// The next verified claim of type `M`, skipping other frames and claims.
    public func nextClaim<M: WireMessage>(_ type: M.Type) async throws -> M? {
        while let frame = try await next() {
            guard case .envelope(let envelope) = frame.body else { continue }
            let claim = try envelope.verify()
            if claim.payloadType == M.protoMessageName { return try claim.decode(M.self) }
        }
        return nil
    }

    /// The next frame that is not a claim (an Error, Goodbye, Pong...), or nil once the node closed.
    public func nextControlFrame() async throws -> Grid_V1_Frame? {
        while let frame = try await next() {
            if case .envelope = frame.body { continue }
            return frame
        }
        return nil
    }
}

/// A TCP connection that frames nothing: for what a node must survive before any handshake.
public final class RawSocket {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    init(inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.inbound = inbound
        self.outbound = outbound
    }

    public func write(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    /// Sends a valid Hello of a fresh identity (network `main`), so the connection has spoken and
    /// its handshake waits for a proof that never comes.
    public func sendHello(networkID: String = "main") async throws {
        var machine = HandshakeMachine(
            .init(identity: SigningIdentity(), isDialer: true, networkID: networkID, listenAddress: ""), ephemeral: EphemeralKeyPair())
        guard case .send(let hello)? = machine.start().first else { throw TestKitError("the handshake machine sent no Hello") }
        try await write(PlainFrame.encode(hello, maxFrameBytes: 1 << 20))
    }

    /// Everything the node sends until it closes the connection.
    public func readUntilClosed() async throws -> [UInt8] {
        var all: [UInt8] = []
        while let chunk = try await inbound.next() { all += chunk.readableBytesView }
        return all
    }

    /// The first frame the node sends, parsed as a plain frame (the handshake's frames are plain).
    public func readPlainFrame() async throws -> Grid_V1_Frame? {
        var buffer = ByteBuffer()
        while true {
            if let body = try RawFrameDecoder.nextBody(from: &buffer, maxBodyBytes: 64 << 20) {
                return try PlainFrame.parse(body.readableBytesView)
            }
            guard var chunk = try await inbound.next() else { return nil }
            buffer.writeBuffer(&chunk)
        }
    }
}

public enum RawPeer {
    /// Opens a TCP connection to `address` and runs `body` with it, unframed.
    public static func withSocket<R>(to address: HostPort, _ body: (RawSocket) async throws -> R) async throws -> R {
        let channel = try await connect(address, framed: false)
        return try await channel.executeThenClose { inbound, outbound in
            try await body(RawSocket(inbound: inbound.makeAsyncIterator(), outbound: outbound))
        }
    }

    /// Dials `address`, handshakes as `identity` on network `networkID`, runs `body`, closes. With
    /// `presenting`, the Hello names that key instead of the identity's own: an impostor.
    public static func withConnection<R>(
        to address: HostPort, identity: SigningIdentity = SigningIdentity(), presenting: NodeID? = nil, networkID: String = "main",
        _ body: (RawPeerConnection) async throws -> R
    ) async throws -> R {
        let channel = try await connect(address, framed: true)
        return try await channel.executeThenClose { inbound, outbound in
            var frames = inbound.makeAsyncIterator()
            var machine = HandshakeMachine(
                .init(identity: identity, isDialer: true, networkID: networkID, listenAddress: ""), ephemeral: EphemeralKeyPair())
            var sendKey: [UInt8] = []
            var actions = machine.start()
            while true {
                for action in actions {
                    switch action {
                    case .send(let frame) where frame.error.code != .unspecified:
                        // Our own refusal: the node may have closed already, and the failure below says why.
                        try? await outbound.write(ByteBuffer(bytes: try PlainFrame.encode(frame, maxFrameBytes: 64 << 20)))
                    case .send(var frame):
                        if let presenting, case .hello(let bytes) = frame.body {
                            var hello = try Grid_V1_Hello(serializedBytes: bytes)
                            hello.nodeID = Data(presenting.bytes)
                            frame.hello = try hello.serializedBytes()
                        }
                        try await outbound.write(ByteBuffer(bytes: try PlainFrame.encode(frame, maxFrameBytes: 64 << 20)))
                    case .startEncrypting(let key):
                        sendKey = key
                    case .established(let peer, let receiveKey):
                        return try await body(RawPeerConnection(
                            peer: peer.nodeID, identity: identity, inbound: frames, outbound: outbound, sendKey: sendKey,
                            receiveKey: receiveKey))
                    case .fail(let error, _):
                        throw error
                    }
                }
                guard let body = try await frames.next() else { throw TestKitError("node closed during the handshake") }
                actions = machine.receive(try PlainFrame.parse(body.readableBytesView))
            }
        }
    }

    private static func connect(_ address: HostPort, framed: Bool) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: address.host, port: address.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if framed {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RawFrameDecoder(maxFrameBytes: 64 << 20)))
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }
}
