import GridCore
import NIOCore
import SwiftProtobuf

/// Splits the byte stream into frames: a 4-byte big-endian length, then that many bytes of a
/// serialized `grid.v1.Frame`. A length of zero or above the limit closes the connection before
/// any of the body is buffered.
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = Grid_V1_Frame

    public let maxFrameBytes: Int

    public init(maxFrameBytes: Int = WireLimits.default.maxFrameBytes) {
        self.maxFrameBytes = maxFrameBytes
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Self.decodeFrame(from: &buffer, maxFrameBytes: maxFrameBytes) else {
            return .needMoreData
        }
        context.fireChannelRead(wrapInboundOut(frame))
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

    /// Reads one whole frame from `buffer`, or nothing (and consumes nothing) if it is incomplete.
    public static func decodeFrame(from buffer: inout ByteBuffer, maxFrameBytes: Int) throws(GridError) -> Grid_V1_Frame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length > 0 else {
            throw GridError(.frameEmpty, "received a frame of length 0; a frame holds at least one field")
        }
        guard length <= maxFrameBytes else {
            throw GridError(.frameTooLarge, "received a frame of \(length) bytes; the limit is \(maxFrameBytes)")
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        let body = buffer.readBytes(length: Int(length))!  // length checked just above
        do {
            return try Grid_V1_Frame(serializedBytes: body)
        } catch {
            throw GridError(.frameMalformed, "a frame of \(length) bytes is not a valid grid.v1.Frame: \(error)")
        }
    }
}

/// Writes frames as the decoder reads them; refuses to send one above the limit.
public struct FrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = Grid_V1_Frame

    public let maxFrameBytes: Int

    public init(maxFrameBytes: Int = WireLimits.default.maxFrameBytes) {
        self.maxFrameBytes = maxFrameBytes
    }

    public func encode(data: Grid_V1_Frame, out: inout ByteBuffer) throws {
        try Self.encodeFrame(data, into: &out, maxFrameBytes: maxFrameBytes)
    }

    public static func encodeFrame(_ frame: Grid_V1_Frame, into out: inout ByteBuffer, maxFrameBytes: Int) throws {
        let body: [UInt8] = try frame.serializedBytes()
        guard body.count <= maxFrameBytes else {
            throw GridError(.frameTooLarge, "refusing to send a frame of \(body.count) bytes; the limit is \(maxFrameBytes)")
        }
        out.writeInteger(UInt32(body.count))
        out.writeBytes(body)
    }
}
