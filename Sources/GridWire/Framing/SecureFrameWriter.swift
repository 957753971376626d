import GridCore
import NIOCore

/// What a connection's owner writes: frames, and the one switch to encryption.
public enum OutboundFrame: Sendable {
    case frame(Grid_V1_Frame)
    /// A claim signed and encoded by ``EnvelopeSealer``; sent only once encrypting.
    case claim(SealedClaim)
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
        case .claim(let claim):
            do {
                guard cipher != nil else {
                    throw GridError(.frameMalformed, "a claim was written before the handshake finished; claims travel encrypted only")
                }
                let buffer = try cipher!.seal(claim, maxFrameBytes: maxFrameBytes, allocator: context.channel.allocator)
                context.write(wrapOutboundOut(buffer), promise: promise)
            } catch {
                promise?.fail(error)
            }
        case .frame(let frame):
            do {
                let allocator = context.channel.allocator
                let buffer = try cipher?.seal(frame, maxFrameBytes: maxFrameBytes, allocator: allocator)
                    ?? allocator.buffer(bytes: PlainFrame.encode(frame, maxFrameBytes: maxFrameBytes))
                context.write(wrapOutboundOut(buffer), promise: promise)
            } catch {
                promise?.fail(error)
            }
        }
    }
}
