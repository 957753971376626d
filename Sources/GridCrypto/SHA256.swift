import CSodium
import GridCore

/// SHA-256, from libsodium.
public enum SHA256 {
    public static let byteCount = Int(crypto_hash_sha256_BYTES)

    public static func digest(_ bytes: [UInt8]) -> [UInt8] {
        Sodium.ensureInitialized()
        var out = [UInt8](repeating: 0, count: byteCount)
        _ = crypto_hash_sha256(&out, bytes, UInt64(bytes.count))
        return out
    }

    /// Lower-case hex of the digest.
    public static func hex(_ bytes: [UInt8]) -> String {
        Hex.encode(digest(bytes))
    }
}
