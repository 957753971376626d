import CSodium
import GridCore

/// ChaCha20-Poly1305 (IETF, RFC 8439): 32-byte key, 12-byte nonce, 16-byte tag.
public enum ChaCha20Poly1305 {
    public static let keyByteCount = Int(crypto_aead_chacha20poly1305_ietf_KEYBYTES)
    public static let nonceByteCount = Int(crypto_aead_chacha20poly1305_ietf_NPUBBYTES)
    public static let tagByteCount = Int(crypto_aead_chacha20poly1305_ietf_ABYTES)

    /// `plaintext` encrypted, followed by its tag, which also covers `associatedData`.
    public static func seal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], associatedData: [UInt8]) -> [UInt8] {
        Sodium.ensureInitialized()
        precondition(key.count == keyByteCount && nonce.count == nonceByteCount, "callers pass fixed sizes")
        var out = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        var written: UInt64 = 0
        _ = crypto_aead_chacha20poly1305_ietf_encrypt(
            &out, &written, plaintext, UInt64(plaintext.count), associatedData, UInt64(associatedData.count), nil, nonce, key)
        return out
    }

    /// `plaintext` encrypted into `output`, which must be `tagByteCount` bytes longer: the
    /// ciphertext first, then the tag. The send path seals straight into its outbound buffer.
    public static func seal(
        _ plaintext: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
        key: [UInt8], nonce: UnsafeRawBufferPointer, associatedData: UnsafeRawBufferPointer
    ) {
        Sodium.ensureInitialized()
        precondition(key.count == keyByteCount && nonce.count == nonceByteCount, "callers pass fixed sizes")
        precondition(output.count == plaintext.count + tagByteCount, "room for the ciphertext and the tag")
        let out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        _ = crypto_aead_chacha20poly1305_ietf_encrypt_detached(
            out, out + plaintext.count, nil, plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(plaintext.count),
            associatedData.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(associatedData.count), nil,
            nonce.baseAddress!.assumingMemoryBound(to: UInt8.self), key)
    }

    /// The plaintext, or nil when the ciphertext, tag or associated data were altered, or the
    /// key or nonce are not the ones it was sealed with.
    public static func open(_ ciphertext: [UInt8], key: [UInt8], nonce: [UInt8], associatedData: [UInt8]) -> [UInt8]? {
        Sodium.ensureInitialized()
        precondition(key.count == keyByteCount && nonce.count == nonceByteCount, "callers pass fixed sizes")
        guard ciphertext.count >= tagByteCount else { return nil }
        var out = [UInt8](repeating: 0, count: ciphertext.count - tagByteCount)
        var written: UInt64 = 0
        let status = crypto_aead_chacha20poly1305_ietf_decrypt(
            &out, &written, nil, ciphertext, UInt64(ciphertext.count), associatedData, UInt64(associatedData.count), nonce, key)
        return status == 0 ? out : nil
    }
}

/// BLAKE2b (libsodium `crypto_generichash`), keyed or not.
public enum BLAKE2b {
    public static func hash(_ message: [UInt8], key: [UInt8] = [], outputByteCount: Int = 32) -> [UInt8] {
        Sodium.ensureInitialized()
        precondition((16...64).contains(outputByteCount) && key.count <= 64, "callers pass valid sizes")
        var out = [UInt8](repeating: 0, count: outputByteCount)
        _ = crypto_generichash(&out, outputByteCount, message, UInt64(message.count), key.isEmpty ? nil : key, key.count)
        return out
    }
}
