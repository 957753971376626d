import NIOCore

/// Holds what a local API connection receives before the node starts consuming it: the lines, and
/// the end of its input. NIO reads a socket whose input has ended at once, even with reading off,
/// so a client that connects, sends its request and shuts its writing side (`nc -N`, a shell
/// pipe) before the node wraps the connection would otherwise lose the request at the end of the
/// pipeline. Removed by ``wrapAccepted(_:as:releasing:)`` once the connection is wrapped, it
/// passes on everything it held, in order.
final class HeldInbound: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var lines: [ByteBuffer] = []
    private var events: [Any] = []
    /// Most lines held: as many as a connection may have in progress, and more than any client
    /// sends before it reads an answer. Beyond it the connection is closed.
    static let maxHeld = 1_024

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard lines.count < Self.maxHeld else { return context.close(promise: nil) }
        lines.append(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        events.append(event)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        for line in lines { context.fireChannelRead(wrapInboundOut(line)) }
        if !lines.isEmpty { context.fireChannelReadComplete() }
        for event in events { context.fireUserInboundEventTriggered(event) }
        lines = []
        events = []
    }
}
