import Foundation
import GridCrypto
import NIOConcurrencyHelpers

/// Envelope nonces: 16 unpredictable bytes each, drawn from a pool that one system call refills
/// (`poolBytes / 16` nonces per `getrandom`), instead of one system call per signed message.
///
/// A nonce only has to be unique per author within the replay window (Protocol/README.md,
/// "Replay"); being random also keeps it from revealing how many claims a node has made. The pool
/// holds nothing secret, so it is not wiped. Safe to share: one lock guards the pool.
public final class EnvelopeNonces: Sendable {
    /// Bytes drawn per refill. Default 4096 (256 nonces).
    public let poolBytes: Int
    private let pool: NIOLockedValueBox<Pool>

    private struct Pool {
        var bytes: [UInt8]
        var offset: Int
    }

    public init(poolBytes: Int = 4096) {
        precondition(poolBytes >= EnvelopeSigning.nonceByteCount && poolBytes % EnvelopeSigning.nonceByteCount == 0,
            "the pool holds whole nonces")
        self.poolBytes = poolBytes
        // Empty to begin with: the first nonce fills it.
        pool = NIOLockedValueBox(Pool(bytes: [UInt8](repeating: 0, count: poolBytes), offset: poolBytes))
    }

    /// The next nonce; never the same one twice from this pool.
    public func next() -> Data {
        var nonce = Data(count: EnvelopeSigning.nonceByteCount)
        nonce.withUnsafeMutableBytes(next(into:))
        return nonce
    }

    /// Writes the next nonce into `nonce`, which must be exactly 16 bytes.
    public func next(into nonce: UnsafeMutableRawBufferPointer) {
        precondition(nonce.count == EnvelopeSigning.nonceByteCount, "envelope nonces are 16 bytes")
        pool.withLockedValue { pool in
            if pool.offset == pool.bytes.count {
                pool.bytes.withUnsafeMutableBytes(SecureRandom.fill)
                pool.offset = 0
            }
            pool.bytes.withUnsafeBytes { bytes in
                nonce.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[pool.offset..<(pool.offset + nonce.count)]))
            }
            pool.offset += nonce.count
        }
    }
}
