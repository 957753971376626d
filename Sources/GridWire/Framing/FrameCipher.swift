import GridCore
import GridCrypto
import NIOCore

/// One direction of an encrypted connection: ChaCha20-Poly1305 (IETF) under that direction's key,
/// with the nonce `00 00 00 00 ‖ counter` (64-bit little-endian) and the frame's 4-byte length
/// prefix as associated data. The counter starts at 0 and goes up by one per frame, so a frame
/// that is altered, replayed, reordered or dropped fails to open.
public struct FrameCipher: Sendable {
    private let key: [UInt8]
    public private(set) var counter: UInt64 = 0

    public init(key: [UInt8]) {
        precondition(key.count == ChaCha20Poly1305.keyByteCount, "session keys are 32 bytes")
        self.key = key
    }

    /// `frame` serialized, encrypted and length-prefixed, ready for the wire.
    public mutating func seal(
        _ frame: Grid_V1_Frame, maxFrameBytes: Int, allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws(GridError) -> ByteBuffer {
        try seal(body: PlainFrame.serialize(frame, maxFrameBytes: maxFrameBytes), allocator: allocator)
    }

    /// A claim's frame, encrypted and length-prefixed, ready for the wire.
    public mutating func seal(
        _ claim: SealedClaim, maxFrameBytes: Int, allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws(GridError) -> ByteBuffer {
        guard claim.frameBody.count <= maxFrameBytes else {
            throw GridError(.frameTooLarge, "refusing to send a frame of \(claim.frameBody.count) bytes; the limit is \(maxFrameBytes)")
        }
        return try seal(body: claim.frameBody, allocator: allocator)
    }

    /// One buffer: the length prefix, then `body` encrypted into it, then the tag; the nonce
    /// stays on the stack.
    private mutating func seal(body: [UInt8], allocator: ByteBufferAllocator) throws(GridError) -> ByteBuffer {
        let sealedCount = body.count + ChaCha20Poly1305.tagByteCount
        let nonce = try nextNonce()
        var buffer = allocator.buffer(capacity: 4 + sealedCount)
        buffer.writeInteger(UInt32(sealedCount))
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: sealedCount) { output in
            withUnsafeBytes(of: nonce) { nonce in
                withUnsafeBytes(of: UInt32(sealedCount).bigEndian) { prefix in
                    body.withUnsafeBytes { body in
                        ChaCha20Poly1305.seal(
                            body, into: UnsafeMutableRawBufferPointer(rebasing: output[..<sealedCount]), key: key, nonce: nonce,
                            associatedData: prefix)
                    }
                }
            }
            return sealedCount
        }
        return buffer
    }

    /// The frame in an encrypted body (the bytes after its length prefix).
    public mutating func open(_ body: some Collection<UInt8>) throws(GridError) -> Grid_V1_Frame {
        let prefix = PlainFrame.lengthPrefix(body.count)
        let nonce = try nextNonce()
        let plaintext = withUnsafeBytes(of: nonce) { nonce in
            ChaCha20Poly1305.open(Array(body), key: key, nonce: Array(nonce), associatedData: prefix)
        }
        guard let plaintext else {
            throw GridError(
                .decryptFailed,
                "frame \(counter - 1) does not decrypt: it was altered, replayed, reordered or sent under other keys")
        }
        return try PlainFrame.parse(plaintext)
    }

    /// The nonce for the next frame: 4 zero bytes, then the counter as 64-bit little-endian.
    /// Three `UInt32`s so the tuple is 12 contiguous bytes.
    private mutating func nextNonce() throws(GridError) -> (UInt32, UInt32, UInt32) {
        guard counter < .max else { throw GridError(.decryptFailed, "2^64 frames on one connection: reconnect") }
        defer { counter += 1 }
        return (0, UInt32(truncatingIfNeeded: counter).littleEndian, UInt32(truncatingIfNeeded: counter >> 32).littleEndian)
    }
}

extension GridError.Code {
    public static let decryptFailed = Self("wire.decrypt_failed")
}
