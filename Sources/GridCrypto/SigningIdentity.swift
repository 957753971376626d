import CSodium
import GridCore

/// A node's Ed25519 key pair. The public key is the node's ``NodeID``; the secret key never
/// leaves this object and is wiped from memory when it goes away.
public final class SigningIdentity: @unchecked Sendable {
    public static let seedByteCount = Int(crypto_sign_SEEDBYTES)
    public static let signatureByteCount = Int(crypto_sign_BYTES)

    public let nodeID: NodeID
    // Written once in init, wiped in deinit, read-only in between: safe to share across threads.
    private let secretKey: UnsafeMutablePointer<UInt8>
    private static let secretKeyByteCount = Int(crypto_sign_SECRETKEYBYTES)

    /// A new random identity.
    public convenience init() {
        Sodium.ensureInitialized()
        var seed = SecureRandom.bytes(Self.seedByteCount)
        defer { sodium_memzero(&seed, seed.count) }
        try! self.init(seed: seed)  // seed has exactly seedByteCount bytes
    }

    /// The identity whose key pair derives from `seed` (32 bytes). Same seed, same keys.
    public init(seed: [UInt8]) throws(GridError) {
        Sodium.ensureInitialized()
        guard seed.count == Self.seedByteCount else {
            throw GridError(.invalidKey, "an Ed25519 seed is \(Self.seedByteCount) bytes; got \(seed.count)")
        }
        secretKey = .allocate(capacity: Self.secretKeyByteCount)
        var publicKey = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        _ = crypto_sign_seed_keypair(&publicKey, secretKey, seed)
        nodeID = try NodeID(bytes: publicKey)
    }

    deinit {
        sodium_memzero(secretKey, Self.secretKeyByteCount)
        secretKey.deallocate()
    }

    /// The 32-byte seed the key pair derives from, for writing the key file.
    public var seed: [UInt8] {
        var seed = [UInt8](repeating: 0, count: Self.seedByteCount)
        _ = crypto_sign_ed25519_sk_to_seed(&seed, secretKey)
        return seed
    }

    /// The 64-byte detached Ed25519 signature of `message`.
    public func sign(_ message: [UInt8]) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: Self.signatureByteCount)
        _ = crypto_sign_detached(&signature, nil, message, UInt64(message.count), secretKey)
        return signature
    }

    /// Writes the 64-byte detached signature of `message` into `signature`, which must be exactly
    /// ``signatureByteCount`` bytes: the send path signs straight into the envelope's field.
    public func sign(_ message: UnsafeRawBufferPointer, into signature: UnsafeMutableRawBufferPointer) {
        precondition(signature.count == Self.signatureByteCount, "a signature is 64 bytes")
        _ = crypto_sign_detached(
            signature.baseAddress!.assumingMemoryBound(to: UInt8.self), nil,
            message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count), secretKey)
    }
}

extension GridError.Code {
    public static let invalidKey = Self("crypto.invalid_key")
}
