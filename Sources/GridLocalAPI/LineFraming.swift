import GridCore
import NIOCore

/// Splits a byte stream into newline-terminated lines (the `\n` is dropped; a `\r` before it too),
/// refusing any line longer than `maxLineBytes` before buffering more of it.
public struct LineFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    public let maxLineBytes: Int
    private var scanned = 0

    public init(maxLineBytes: Int = LocalAPI.maxLineBytes) {
        self.maxLineBytes = maxLineBytes
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let line = try nextLine(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // The client closed after a last line without its newline: that line still counts.
        if buffer.readableBytes > 0, let line = buffer.readSlice(length: buffer.readableBytes) {
            scanned = 0
            context.fireChannelRead(wrapInboundOut(line))
        }
        return .needMoreData
    }

    /// The next complete line, or nil when `buffer` holds none yet.
    public mutating func nextLine(from buffer: inout ByteBuffer) throws(GridError) -> ByteBuffer? {
        let view = buffer.readableBytesView
        let start = view.startIndex + scanned
        guard let newline = view[start...].firstIndex(of: UInt8(ascii: "\n")) else {
            scanned = view.count
            if view.count > maxLineBytes { throw Self.tooLong(maxLineBytes) }
            return nil
        }
        let length = newline - view.startIndex
        guard length <= maxLineBytes else { throw Self.tooLong(maxLineBytes) }
        scanned = 0
        var line = buffer.readSlice(length: length)!  // within readable bytes
        buffer.moveReaderIndex(forwardBy: 1)
        if line.readableBytesView.last == UInt8(ascii: "\r") {
            line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)!
        }
        return line
    }

    private static func tooLong(_ max: Int) -> GridError {
        GridError(.lineTooLong, "a request line is longer than \(max) bytes; send large inputs in smaller tasks")
    }
}

/// Writes each buffer followed by `\n`.
public struct LineFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = ByteBuffer

    public init() {}

    public func encode(data: ByteBuffer, out: inout ByteBuffer) throws {
        var data = data
        out.writeBuffer(&data)
        out.writeInteger(UInt8(ascii: "\n"))
    }
}

extension GridError.Code {
    public static let lineTooLong = Self("localapi.line_too_long")
}
