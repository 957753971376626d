import GridCore
import GridCrypto
import NIOCore
import SwiftProtobuf

/// Splits the byte stream into frame bodies: a 4-byte big-endian length, then that many bytes.
/// A length of zero or above the limit closes the connection before any of the body is buffered.
/// Whether a body is a plain or an encrypted frame is the connection's business (``FrameCipher``).
public struct RawFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// The largest body accepted: the frame limit plus the encryption tag.
    public let maxBodyBytes: Int

    public init(maxFrameBytes: Int = WireLimits.default.maxFrameBytes) {
        self.maxBodyBytes = maxFrameBytes + ChaCha20Poly1305.tagByteCount
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let body = try Self.nextBody(from: &buffer, maxBodyBytes: maxBodyBytes) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(body))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            throw GridError(.frameMalformed, "connection closed inside a frame (\(buffer.readableBytes) bytes left over)")
        }
        return .needMoreData
    }

    /// The next whole body in `buffer`, or nil (consuming nothing) when it is incomplete.
    public static func nextBody(from buffer: inout ByteBuffer, maxBodyBytes: Int) throws(GridError) -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length > 0 else {
            throw GridError(.frameEmpty, "received a frame of length 0; a frame holds at least one field")
        }
        guard length <= maxBodyBytes else {
            throw GridError(.frameTooLarge, "received a frame of \(length) bytes; the limit is \(maxBodyBytes)")
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(length))!  // length checked just above
    }
}

/// Plain (unencrypted) frames: the handshake's, and tests'.
public enum PlainFrame {
    /// A body as a Frame.
    /// A body as a Frame: one that decodes (a string field's bytes must be UTF-8, as proto3 requires)
    /// and keeps ``SingleFieldRule``.
    public static func parse(_ body: some Collection<UInt8>) throws(GridError) -> Grid_V1_Frame {
        let bytes = Array(body)
        let frame: Grid_V1_Frame
        do {
            frame = try Grid_V1_Frame(serializedBytes: bytes)
        } catch {
            throw GridError(.frameMalformed, "a frame of \(bytes.count) bytes is not a valid grid.v1.Frame")
        }
        if let violation = SingleFieldRule.violation(inFrame: bytes) {
            throw GridError(.frameMalformed, "a frame of \(bytes.count) bytes is not a valid grid.v1.Frame: \(violation)")
        }
        return frame
    }

    /// `frame` serialized and length-prefixed, refusing one above `maxFrameBytes`.
    public static func encode(_ frame: Grid_V1_Frame, maxFrameBytes: Int) throws(GridError) -> [UInt8] {
        let body = try serialize(frame, maxFrameBytes: maxFrameBytes)
        return lengthPrefix(body.count) + body
    }

    static func serialize(_ frame: Grid_V1_Frame, maxFrameBytes: Int) throws(GridError) -> [UInt8] {
        let body: [UInt8]
        do { body = try frame.serializedBytes() } catch { throw GridError(.frameMalformed, "cannot serialize a frame: \(error)") }
        guard body.count <= maxFrameBytes else {
            throw GridError(.frameTooLarge, "refusing to send a frame of \(body.count) bytes; the limit is \(maxFrameBytes)")
        }
        return body
    }

    static func lengthPrefix(_ count: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt32(count).bigEndian, Array.init)
    }
}
