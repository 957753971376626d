// libFuzzer target: the frame layer. The input is a byte stream as it arrives from a peer.
//
// - RawFrameDecoder.nextBody splits it into bodies (bounded by a 64 KiB body limit); every body
//   goes to PlainFrame.parse (the handshake's frames) and to FrameCipher.open (the encrypted
//   frames after it) under a fixed key.
// - The fixed key is the dialler's send key of Protocol/vectors/handshake.json, so the vector's
//   encrypted frames in the seed corpus decrypt and the fuzzer starts from frames that open.
// - Each body is also sealed by the harness as the plaintext of an encrypted frame (the nonce and
//   associated data the protocol specifies) and opened with a second FrameCipher, which reaches the
//   parse-after-decrypt path with arbitrary plaintexts.
//
// Thrown errors are expected; a crash, a hang or a failed check below is a finding. The checks
// are the decoder's documented contract and protobuf round-trips.
import GridCore
import GridCrypto
import GridWire
import NIOCore

private let maxBodyBytes = 64 << 10
/// handshake.json: dialer.send_key (= listener.receive_key).
private let fixedKey: [UInt8] = try! Hex.decode("3b8daa2ad51b2dc62c6dc65db7186e97e9ef41b78828b049bd95200ad545b433")

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("harness check failed: \(message())") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var buffer = ByteBuffer(bytes: UnsafeRawBufferPointer(start: start, count: count))
    var wire = FrameCipher(key: fixedKey)  // opens the bodies as received
    var receiver = FrameCipher(key: fixedKey)  // opens the bodies the harness sealed
    var counter: UInt64 = 0

    while true {
        let readerIndex = buffer.readerIndex
        let readable = buffer.readableBytes
        let prefix = buffer.getInteger(at: readerIndex, as: UInt32.self)  // nil when under 4 bytes are left
        let body: ByteBuffer
        do {
            guard let next = try RawFrameDecoder.nextBody(from: &buffer, maxBodyBytes: maxBodyBytes) else {
                check(buffer.readerIndex == readerIndex, "nextBody returned nil but consumed bytes")
                break
            }
            body = next
        } catch {
            check(prefix != nil, "nextBody threw without a whole length prefix")
            check(prefix! == 0 || Int(prefix!) > maxBodyBytes, "nextBody threw \(error.code) on a length of \(prefix!)")
            check(error.code == .frameEmpty || error.code == .frameTooLarge, "unexpected error \(error.code)")
            break
        }
        let length = Int(prefix!)
        check(length > 0 && length <= maxBodyBytes, "nextBody returned a body of length \(length)")
        check(body.readableBytes == length, "body is \(body.readableBytes) bytes, its prefix says \(length)")
        check(buffer.readableBytes == readable - 4 - length, "nextBody consumed the wrong number of bytes")
        let bytes = Array(body.readableBytesView)

        // As a plain frame; a frame that parses survives an encode/parse round-trip unchanged.
        let plain: Grid_V1_Frame?
        do {
            let frame = try PlainFrame.parse(body.readableBytesView)
            let encoded = try PlainFrame.encode(frame, maxFrameBytes: 1 << 20)
            var again = ByteBuffer(bytes: encoded)
            let reBody = try RawFrameDecoder.nextBody(from: &again, maxBodyBytes: 1 << 20)
            check(reBody != nil && again.readableBytes == 0, "an encoded frame does not decode as one body")
            check(try PlainFrame.parse(reBody!.readableBytesView) == frame, "a frame changed in an encode/parse round-trip")
            plain = frame
        } catch {
            check(error.code == .frameMalformed, "PlainFrame.parse threw \(error.code)")
            plain = nil
        }

        // As an encrypted frame under the fixed key (each call uses up one counter value).
        do {
            _ = try wire.open(body.readableBytesView)
        } catch {
            check(error.code == .decryptFailed || error.code == .frameMalformed, "FrameCipher.open threw \(error.code)")
        }

        // The body as the plaintext of an encrypted frame: nonce 00000000 ‖ counter (LE),
        // associated data the sealed frame's length prefix.
        var nonce: [UInt8] = [0, 0, 0, 0]
        withUnsafeBytes(of: counter.littleEndian) { nonce += $0 }
        let sealedPrefix = withUnsafeBytes(of: UInt32(bytes.count + ChaCha20Poly1305.tagByteCount).bigEndian, Array.init)
        let sealed = ChaCha20Poly1305.seal(bytes, key: fixedKey, nonce: nonce, associatedData: sealedPrefix)
        do {
            let opened = try receiver.open(sealed)
            check(plain == opened, "a body that opened parses differently from the same body sent in the clear")
        } catch {
            check(error.code == .frameMalformed, "a correctly sealed frame failed to open: \(error.code)")
            check(plain == nil, "a correctly sealed valid frame failed to parse")
        }
        counter += 1
        check(wire.counter == counter && receiver.counter == counter, "FrameCipher counters out of step")
    }
    return 0
}
