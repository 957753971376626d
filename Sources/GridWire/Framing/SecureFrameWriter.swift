import GridCore
import NIOCore

/// What a connection's owner writes: frames, and the one switch to encryption.
public enum OutboundFrame: Sendable {
    case frame(Grid_V1_Frame)
    /// Every frame written after this is encrypted under `key`.
    case startEncrypting(key: [UInt8])
}

/// Serializes, and once told to, encrypts the frames written to the channel. Living on the event
/// loop, it sees writes in wire order, so the cipher's counter follows the order on the wire
/// whichever task wrote the frame.
public final class SecureFrameWriter: ChannelOutboundHandler {
    public typealias OutboundIn = OutboundFrame
    public typealias OutboundOut = ByteBuffer

    private let maxFrameBytes: Int
    private var cipher: FrameCipher?

    public init(maxFrameBytes: Int = WireLimits.default.maxFrameBytes) {
        self.maxFrameBytes = maxFrameBytes
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .startEncrypting(let key):
            cipher = FrameCipher(key: key)
            promise?.succeed()
        case .frame(let frame):
            do {
                let bytes = try cipher?.seal(frame, maxFrameBytes: maxFrameBytes)
                    ?? PlainFrame.encode(frame, maxFrameBytes: maxFrameBytes)
                context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: promise)
            } catch {
                promise?.fail(error)
            }
        }
    }
}
