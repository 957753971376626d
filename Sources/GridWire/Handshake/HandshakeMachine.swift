import Foundation
import GridCore
import GridCrypto

/// One side of the handshake that opens every connection, as a pure state machine.
///
/// Both sides send a Hello at once (version, node ID, a fresh 32-byte challenge, listen address).
/// On the other's Hello each side signs that side's challenge (``HandshakeProof``) and sends the
/// signature; on the other's valid proof the peer's identity is proven and the connection is open.
/// The shell gives the frames in, carries out the actions, and calls ``deadlinePassed()`` when the
/// handshake deadline expires.
public struct HandshakeMachine: Sendable {
    public static let protocolVersion: UInt32 = 1
    public static let challengeByteCount = 32

    /// What the peer said of itself, once proven.
    public struct Peer: Sendable, Equatable {
        public var nodeID: NodeID
        /// Where the peer accepts connections ("host:port"), or empty.
        public var listenAddress: String

        public init(nodeID: NodeID, listenAddress: String) {
            self.nodeID = nodeID
            self.listenAddress = listenAddress
        }
    }

    public enum Action: Sendable, Equatable {
        case send(Grid_V1_Frame)
        /// The peer proved its key; the connection may carry envelopes now.
        case established(Peer)
        /// The handshake failed for `reason`; close the connection. Any error frame to send came just before.
        case fail(GridError, reason: Grid_V1_ErrorCode)
    }

    private enum State: Sendable {
        case idle, awaitingHello, awaitingProof(Peer), established, failed
    }

    private let identity: SigningIdentity
    private let challenge: [UInt8]
    private let listenAddress: String
    private let expectedPeer: NodeID?
    private var state: State = .idle

    /// - Parameters:
    ///   - challenge: 32 fresh random bytes (the shell passes ``SecureRandom``'s).
    ///   - expectedPeer: the key pinned for the address dialled, if any; any other key is refused.
    public init(identity: SigningIdentity, challenge: [UInt8], listenAddress: String, expectedPeer: NodeID?) {
        precondition(challenge.count == Self.challengeByteCount, "a challenge is 32 bytes")
        self.identity = identity
        self.challenge = challenge
        self.listenAddress = listenAddress
        self.expectedPeer = expectedPeer
    }

    public var isEstablished: Bool {
        if case .established = state { return true }
        return false
    }

    public mutating func start() -> [Action] {
        guard case .idle = state else { return [] }
        state = .awaitingHello
        var hello = Grid_V1_Hello()
        hello.protocolVersion = Self.protocolVersion
        hello.nodeID = Data(identity.nodeID.bytes)
        hello.challenge = Data(challenge)
        hello.listenAddress = listenAddress
        return [.send(.with { $0.hello = hello })]
    }

    public mutating func receive(_ frame: Grid_V1_Frame) -> [Action] {
        switch (state, frame.body) {
        case (.awaitingHello, .hello(let hello)):
            return receiveHello(hello)
        case (.awaitingProof(let peer), .helloProof(let proof)):
            let signed = HandshakeProof.signedBytes(challenge: challenge, signer: peer.nodeID, verifier: identity.nodeID)
            guard Ed25519.verify(signature: proof.signature, of: signed, by: peer.nodeID) else {
                return refuse(.badProof, "node \(peer.nodeID.short) did not prove it holds its key: its handshake signature does not verify")
            }
            state = .established
            return [.established(peer)]
        case (.idle, _), (.established, _), (.failed, _):
            return []
        case (_, .error(let error)):
            state = .failed
            return [.fail(GridError(.handshakeFailed, "the peer refused the handshake: \(error.message)"), reason: error.code)]
        default:
            return refuse(.malformed, "unexpected frame during the handshake: expected Hello, then HelloProof")
        }
    }

    /// The handshake deadline passed; fails the handshake unless it completed.
    public mutating func deadlinePassed() -> [Action] {
        switch state {
        case .established, .failed: return []
        default: return refuse(.handshakeTimeout, "the handshake did not complete in time")
        }
    }

    private mutating func receiveHello(_ hello: Grid_V1_Hello) -> [Action] {
        guard hello.protocolVersion == Self.protocolVersion else {
            return refuse(
                .protocolVersion,
                "protocol version \(hello.protocolVersion) is not supported; this node speaks version \(Self.protocolVersion): upgrade the older node")
        }
        guard let peerID = try? NodeID(bytes: Array(hello.nodeID)), hello.challenge.count == Self.challengeByteCount else {
            return refuse(.malformed, "Hello must carry a 32-byte node ID and a 32-byte challenge")
        }
        guard peerID != identity.nodeID else {
            return refuse(.selfConnection, "this address is the node itself; remove it from its bootstrap list")
        }
        if let expectedPeer, expectedPeer != peerID {
            return refuse(
                .pinnedKey,
                "the node at this address has key \(peerID.hex), not the pinned key \(expectedPeer.hex); fix the publicKey in bootstrap-peers.json if the node's identity changed")
        }
        let peer = Peer(nodeID: peerID, listenAddress: hello.listenAddress)
        state = .awaitingProof(peer)
        let signed = HandshakeProof.signedBytes(challenge: Array(hello.challenge), signer: identity.nodeID, verifier: peerID)
        var proof = Grid_V1_HelloProof()
        proof.signature = Data(identity.sign(signed))
        return [.send(.with { $0.helloProof = proof })]
    }

    private mutating func refuse(_ code: Grid_V1_ErrorCode, _ message: String) -> [Action] {
        state = .failed
        var error = Grid_V1_Error()
        error.code = code
        error.message = message
        return [.send(.with { $0.error = error }), .fail(GridError(.handshakeFailed, message), reason: code)]
    }
}
