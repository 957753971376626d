import CSodium

/// Unpredictable bytes from the operating system, for keys, challenges and nonces.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        Sodium.ensureInitialized()
        var bytes = [UInt8](repeating: 0, count: count)
        randombytes_buf(&bytes, count)
        return bytes
    }

    /// Fills `buffer` with unpredictable bytes: one system call however large it is, so callers
    /// that need many small values (envelope nonces) draw them from one larger fill.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        Sodium.ensureInitialized()
        guard let base = buffer.baseAddress else { return }
        randombytes_buf(base, buffer.count)
    }
}

/// A `RandomNumberGenerator` backed by libsodium, for the shell (tests inject a seeded one).
public struct SecureRandomNumberGenerator: RandomNumberGenerator, Sendable {
    public init() { Sodium.ensureInitialized() }

    public mutating func next() -> UInt64 {
        var value: UInt64 = 0
        withUnsafeMutableBytes(of: &value) { randombytes_buf($0.baseAddress!, 8) }
        return value
    }
}
