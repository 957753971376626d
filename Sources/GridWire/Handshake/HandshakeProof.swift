import GridCore
import GridCrypto

/// The handshake's byte layouts (Protocol/README.md, "Handshake").
///
/// Transcript hash: SHA-256 of
///
///     "grid/transcript/v1" 0x00       19 bytes, domain separation
///     u32 length ‖ dialler's Hello    the exact bytes of the Hello the dialler sent
///     u32 length ‖ listener's Hello   the exact bytes of the Hello the listener sent
///
/// Proof bytes, signed by each side with its identity key:
///
///     "grid/handshake/v1" 0x00        18 bytes, domain separation
///     role                            1 byte: 0 when the signer dialled, 1 when it listened
///     transcript hash                 32 bytes
///
/// The transcript holds both identities and both ephemeral keys, so a proof binds this node's
/// identity to this connection's key exchange (as libp2p's Noise XX binds the static key), and
/// the role byte keeps a proof from being reflected back to its author.
public enum HandshakeProof {
    public static let transcriptDomain: [UInt8] = Array("grid/transcript/v1".utf8) + [0]
    public static let domain: [UInt8] = Array("grid/handshake/v1".utf8) + [0]

    public static func transcriptHash(dialerHello: [UInt8], listenerHello: [UInt8]) -> [UInt8] {
        SHA256.digest(
            transcriptDomain + PlainFrame.lengthPrefix(dialerHello.count) + dialerHello
                + PlainFrame.lengthPrefix(listenerHello.count) + listenerHello)
    }

    public static func signedBytes(transcriptHash: [UInt8], signerDialed: Bool) -> [UInt8] {
        domain + [signerDialed ? 0 : 1] + transcriptHash
    }

    /// The connection's keys: `crypto_kx` session keys (dialler as client), each then bound to the
    /// transcript as BLAKE2b-256(message: transcript hash, key: session key).
    public static func channelKeys(
        ephemeral: EphemeralKeyPair, peerEphemeral: [UInt8], asDialer: Bool, transcriptHash: [UInt8]
    ) throws(GridError) -> SessionKeys {
        let raw = try ephemeral.sessionKeys(peer: peerEphemeral, asDialer: asDialer)
        return SessionKeys(
            receive: BLAKE2b.hash(transcriptHash, key: raw.receive), send: BLAKE2b.hash(transcriptHash, key: raw.send))
    }
}
