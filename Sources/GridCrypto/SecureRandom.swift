import CSodium

/// Unpredictable bytes from the operating system, for keys, challenges and nonces.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        Sodium.ensureInitialized()
        var bytes = [UInt8](repeating: 0, count: count)
        randombytes_buf(&bytes, count)
        return bytes
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
