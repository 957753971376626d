import Foundation
import GridCore
import GridCrypto

/// One side of the handshake that opens every connection, as a pure state machine.
///
/// Both sides send a Hello at once: protocol versions, network ID, identity key, a fresh X25519
/// key, listen address. On the other's Hello each side checks it, derives the channel keys, signs
/// the transcript (``HandshakeProof``) and sends the signature, after which everything it sends is
/// encrypted. On the other's valid proof the peer's identity is proven and the connection is open.
/// The shell feeds frames in, carries out the actions, and calls ``deadlinePassed()`` when the
/// handshake deadline expires.
public struct HandshakeMachine: Sendable {
    /// The protocol versions this implementation speaks.
    public static let supportedVersions: ClosedRange<UInt32> = 1...1
    public static var protocolVersion: UInt32 { supportedVersions.upperBound }

    public struct Configuration: Sendable {
        public var identity: SigningIdentity
        /// Whether this side dialled (it takes the client role in the key exchange).
        public var isDialer: Bool
        public var networkID: String
        /// Where this node accepts connections ("host:port"), or empty.
        public var listenAddress: String
        /// The key pinned for the address dialled, if any; any other key is refused.
        public var expectedPeer: NodeID?
        /// Where that pin came from and what to do about a refusal: added to this side's error,
        /// not to the one sent (the peer cannot fix this node's pin).
        public var pinAdvice: String?
        public var versions: ClosedRange<UInt32> = HandshakeMachine.supportedVersions

        public init(identity: SigningIdentity, isDialer: Bool, networkID: String, listenAddress: String, expectedPeer: NodeID? = nil) {
            self.identity = identity
            self.isDialer = isDialer
            self.networkID = networkID
            self.listenAddress = listenAddress
            self.expectedPeer = expectedPeer
        }
    }

    /// What the peer said of itself, once proven.
    public struct Peer: Sendable, Equatable {
        public var nodeID: NodeID
        /// Where the peer accepts connections ("host:port"), or empty.
        public var listenAddress: String
        /// The protocol version both sides use on this connection.
        public var version: UInt32

        public init(nodeID: NodeID, listenAddress: String, version: UInt32 = HandshakeMachine.protocolVersion) {
            self.nodeID = nodeID
            self.listenAddress = listenAddress
            self.version = version
        }
    }

    public enum Action: Sendable, Equatable {
        case send(Grid_V1_Frame)
        /// From now on, encrypt everything sent under `key` (comes right after this side's proof).
        case startEncrypting(key: [UInt8])
        /// The peer proved its key: decrypt what it sends from now on under `receiveKey`.
        case established(Peer, receiveKey: [UInt8])
        /// The handshake failed for `reason`; close the connection. Any error frame to send came just before.
        case fail(GridError, reason: Grid_V1_ErrorCode)
    }

    private enum State: Sendable {
        case idle, awaitingHello, awaitingProof(Peer, transcript: [UInt8], receiveKey: [UInt8]), established, failed
    }

    private let configuration: Configuration
    private let ephemeral: EphemeralKeyPair
    private var sentHello: [UInt8] = []
    private var state: State = .idle

    /// - Parameter ephemeral: this connection's X25519 pair (the shell makes a fresh one).
    public init(_ configuration: Configuration, ephemeral: EphemeralKeyPair) {
        self.configuration = configuration
        self.ephemeral = ephemeral
    }

    public var isEstablished: Bool {
        if case .established = state { return true }
        return false
    }

    public mutating func start() -> [Action] {
        guard case .idle = state else { return [] }
        state = .awaitingHello
        var hello = Grid_V1_Hello()
        hello.protocolVersion = configuration.versions.upperBound
        hello.minProtocolVersion = configuration.versions.lowerBound
        hello.nodeID = Data(configuration.identity.nodeID.bytes)
        hello.ephemeralKey = Data(ephemeral.publicKey)
        hello.listenAddress = configuration.listenAddress
        hello.networkID = configuration.networkID
        sentHello = (try? hello.serializedBytes()) ?? []  // plain fields: serializing cannot fail
        return [.send(.with { $0.hello = Data(sentHello) })]
    }

    public mutating func receive(_ frame: Grid_V1_Frame) -> [Action] {
        switch (state, frame.body) {
        case (.awaitingHello, .hello(let bytes)):
            return receiveHello(Array(bytes))
        case (.awaitingProof(let peer, let transcript, let receiveKey), .helloProof(let proof)):
            let signed = HandshakeProof.signedBytes(transcriptHash: transcript, signerDialed: !configuration.isDialer)
            guard Ed25519.verify(signature: proof.signature, of: signed, by: peer.nodeID) else {
                return refuse(.badProof, "node \(peer.nodeID.short) did not prove it holds its key: its handshake signature does not verify")
            }
            state = .established
            return [.established(peer, receiveKey: receiveKey)]
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

    private mutating func receiveHello(_ bytes: [UInt8]) -> [Action] {
        guard let hello = try? Grid_V1_Hello(serializedBytes: bytes) else {
            return refuse(.malformed, "the Hello does not parse")
        }
        let theirLowest = hello.minProtocolVersion == 0 ? hello.protocolVersion : hello.minProtocolVersion
        guard hello.protocolVersion > 0, theirLowest <= hello.protocolVersion else {
            return refuse(
                .malformed,
                "the Hello's versions are inconsistent (min_protocol_version \(hello.minProtocolVersion), protocol_version \(hello.protocolVersion))")
        }
        let theirs = theirLowest...hello.protocolVersion
        let ours = configuration.versions
        let version = min(ours.upperBound, theirs.upperBound)
        guard version >= max(ours.lowerBound, theirs.lowerBound) else {
            return refuse(
                .protocolVersion,
                "no common protocol version: this node speaks \(Self.describe(ours)), the peer \(Self.describe(theirs)); upgrade the older node")
        }
        guard hello.networkID == configuration.networkID else {
            return refuse(
                .wrongNetwork,
                "this node is on network '\(configuration.networkID)', the peer on '\(hello.networkID.prefix(64))'; nodes of different networks never connect")
        }
        guard let peerID = try? NodeID(bytes: Array(hello.nodeID)), hello.ephemeralKey.count == EphemeralKeyPair.byteCount else {
            return refuse(.malformed, "Hello must carry a 32-byte node ID and a 32-byte ephemeral key")
        }
        guard peerID != configuration.identity.nodeID else {
            return refuse(.selfConnection, "this address is the node itself; remove it from its bootstrap list")
        }
        if let expected = configuration.expectedPeer, expected != peerID {
            return refuse(
                .pinnedKey, "the dialling node expected key \(expected.hex) at this address, not yours (\(peerID.hex))",
                locally: "the node at this address has key \(peerID.hex), not the pinned key \(expected.hex)"
                    + (configuration.pinAdvice.map { "; \($0)" } ?? ""))
        }
        let dialerIsUs = configuration.isDialer
        let transcript = HandshakeProof.transcriptHash(dialerHello: dialerIsUs ? sentHello : bytes, listenerHello: dialerIsUs ? bytes : sentHello)
        let keys: SessionKeys
        do {
            keys = try HandshakeProof.channelKeys(
                ephemeral: ephemeral, peerEphemeral: Array(hello.ephemeralKey), asDialer: dialerIsUs, transcriptHash: transcript)
        } catch {
            return refuse(.malformed, error.message)
        }
        let peer = Peer(nodeID: peerID, listenAddress: String(hello.listenAddress.prefix(256)), version: version)
        state = .awaitingProof(peer, transcript: transcript, receiveKey: keys.receive)
        var proof = Grid_V1_HelloProof()
        proof.signature = Data(configuration.identity.sign(HandshakeProof.signedBytes(transcriptHash: transcript, signerDialed: dialerIsUs)))
        return [.send(.with { $0.helloProof = proof }), .startEncrypting(key: keys.send)]
    }

    /// Sends `message` to the peer and fails with `locally` (by default the same message).
    private mutating func refuse(_ code: Grid_V1_ErrorCode, _ message: String, locally: String? = nil) -> [Action] {
        state = .failed
        var error = Grid_V1_Error()
        error.code = code
        error.message = message
        return [.send(.with { $0.error = error }), .fail(GridError(.handshakeFailed, locally ?? message), reason: code)]
    }

    private static func describe(_ versions: ClosedRange<UInt32>) -> String {
        versions.count == 1 ? "version \(versions.lowerBound)" : "versions \(versions.lowerBound)-\(versions.upperBound)"
    }
}
