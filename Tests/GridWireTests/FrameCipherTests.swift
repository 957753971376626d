import GridCore
import GridCrypto
import GridWire
import NIOCore
import Testing

@Suite struct FrameCipherTests {
    let key = [UInt8](repeating: 7, count: 32)

    func frame(_ n: UInt64) -> Grid_V1_Frame { .with { $0.ping = .with { $0.nonce = n } } }

    /// The encrypted body of a sealed frame (what the decoder hands the receiver).
    func body(_ sealed: ByteBuffer) -> [UInt8] { Array(sealed.readableBytesView.dropFirst(4)) }

    @Test func framesRoundTripInOrder() throws {
        var sender = FrameCipher(key: key)
        var receiver = FrameCipher(key: key)
        for n in 0..<5 as Range<UInt64> {
            let sealed = try sender.seal(frame(n), maxFrameBytes: 1024)
            #expect(sealed.readableBytes == 4 + (try frame(n).serializedBytes() as [UInt8]).count + 16)
            #expect(sealed.getInteger(at: sealed.readerIndex, as: UInt32.self) == UInt32(sealed.readableBytes - 4))
            #expect(try receiver.open(body(sealed)) == frame(n))
        }
        #expect(sender.counter == 5 && receiver.counter == 5)
    }

    @Test func ciphertextHidesThePlaintext() throws {
        var sender = FrameCipher(key: key)
        let secret = Grid_V1_Frame.with { $0.error = .with { $0.message = "a very secret message" } }
        let sealed = try sender.seal(secret, maxFrameBytes: 1024)
        #expect(!String(decoding: sealed.readableBytesView, as: UTF8.self).contains("secret"))
    }

    @Test func alteredReplayedReorderedOrDroppedFramesFail() throws {
        var sender = FrameCipher(key: key)
        let first = body(try sender.seal(frame(1), maxFrameBytes: 1024))
        let second = body(try sender.seal(frame(2), maxFrameBytes: 1024))

        for index in first.indices {  // any altered byte
            var receiver = FrameCipher(key: key)
            var altered = first
            altered[index] ^= 0x01
            #expect(throws: GridError.self) { try receiver.open(altered) }
        }
        var replay = FrameCipher(key: key)
        _ = try replay.open(first)
        #expect(throws: GridError.self) { try replay.open(first) }  // the same frame again
        var reorder = FrameCipher(key: key)
        #expect(throws: GridError.self) { try reorder.open(second) }  // second before first, or first dropped
        var truncated = FrameCipher(key: key)
        #expect(throws: GridError.self) { try truncated.open(first.dropLast()) }
        var otherKey = FrameCipher(key: [UInt8](repeating: 8, count: 32))
        #expect(throws: GridError.self) { try otherKey.open(first) }
    }

    @Test func theLengthPrefixIsAuthenticated() throws {
        // The length is associated data: the same ciphertext under another claimed length fails.
        var sender = FrameCipher(key: key)
        let sealed = try sender.seal(frame(1), maxFrameBytes: 1024)
        var receiver = FrameCipher(key: key)
        #expect(throws: GridError.self) { try receiver.open(body(sealed) + [0]) }
    }

    @Test func sealingInPlaceMatchesTheOneShotSeal() throws {
        // The send path encrypts inside its outbound buffer; the bytes must be those of a plain
        // ChaCha20-Poly1305 seal with the documented nonce and associated data.
        var sender = FrameCipher(key: key)
        _ = try sender.seal(frame(0), maxFrameBytes: 1024)
        let sealed = try sender.seal(frame(7), maxFrameBytes: 1024)  // counter 1
        let plaintext: [UInt8] = try frame(7).serializedBytes()
        let prefix = Array(sealed.readableBytesView.prefix(4))
        let expected = ChaCha20Poly1305.seal(
            plaintext, key: key, nonce: [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], associatedData: prefix)
        #expect(body(sealed) == expected)
    }
}
