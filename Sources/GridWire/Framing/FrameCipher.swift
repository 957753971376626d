import GridCore
import GridCrypto

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
    public mutating func seal(_ frame: Grid_V1_Frame, maxFrameBytes: Int) throws(GridError) -> [UInt8] {
        let plaintext = try PlainFrame.serialize(frame, maxFrameBytes: maxFrameBytes)
        let prefix = PlainFrame.lengthPrefix(plaintext.count + ChaCha20Poly1305.tagByteCount)
        let sealed = ChaCha20Poly1305.seal(plaintext, key: key, nonce: try nextNonce(), associatedData: prefix)
        return prefix + sealed
    }

    /// The frame in an encrypted body (the bytes after its length prefix).
    public mutating func open(_ body: some Collection<UInt8>) throws(GridError) -> Grid_V1_Frame {
        let prefix = PlainFrame.lengthPrefix(body.count)
        guard let plaintext = ChaCha20Poly1305.open(Array(body), key: key, nonce: try nextNonce(), associatedData: prefix) else {
            throw GridError(
                .decryptFailed,
                "frame \(counter - 1) does not decrypt: it was altered, replayed, reordered or sent under other keys")
        }
        return try PlainFrame.parse(plaintext)
    }

    private mutating func nextNonce() throws(GridError) -> [UInt8] {
        guard counter < .max else { throw GridError(.decryptFailed, "2^64 frames on one connection: reconnect") }
        var nonce = [UInt8](repeating: 0, count: 4)
        withUnsafeBytes(of: counter.littleEndian) { nonce += $0 }
        counter += 1
        return nonce
    }
}

extension GridError.Code {
    public static let decryptFailed = Self("wire.decrypt_failed")
}
