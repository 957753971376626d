import GridCore

/// The bytes a handshake proof signs (Protocol/README.md, "Handshake"):
///
///     "grid/handshake/v1" 0x00    18 bytes, domain separation
///     challenge                   32 bytes, chosen by the verifier
///     signer's node ID            32 bytes
///     verifier's node ID          32 bytes
///
/// Naming both keys binds the proof to this pair of nodes: it cannot be replayed to a third.
public enum HandshakeProof {
    public static let domain: [UInt8] = Array("grid/handshake/v1".utf8) + [0]

    public static func signedBytes(challenge: [UInt8], signer: NodeID, verifier: NodeID) -> [UInt8] {
        domain + challenge + signer.bytes + verifier.bytes
    }
}
