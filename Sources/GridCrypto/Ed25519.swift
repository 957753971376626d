import CSodium
import GridCore

/// Verification of detached Ed25519 signatures.
public enum Ed25519 {
    /// True when `signature` is `signer`'s signature of exactly `message`.
    public static func verify(signature: some Collection<UInt8>, of message: [UInt8], by signer: NodeID) -> Bool {
        Sodium.ensureInitialized()
        guard signature.count == SigningIdentity.signatureByteCount else { return false }
        let signature = Array(signature)
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), signer.bytes) == 0
    }
}
