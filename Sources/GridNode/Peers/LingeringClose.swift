import NIOCore

/// Closing a connection so that the last frame sent to it arrives: the writing side is shut (a
/// FIN after the frame), and whatever the peer still sends is read and dropped for up to
/// ``linger``, so the socket is never closed with unread input — which would make the kernel
/// send a reset that can destroy the frame before the peer reads it. The connection then closes
/// when the peer closes its side, or when ``linger`` has passed. Protocol/README.md, Errors.
enum LingeringClose {
    /// How long a connection that is being closed keeps reading: 500 ms.
    static let linger = TimeAmount.milliseconds(500)

    /// Shuts `channel`'s writing side, drains its input, and returns once it is closed.
    static func close(_ channel: any Channel, linger: TimeAmount = Self.linger) async {
        let loop = channel.eventLoop
        loop.execute {
            guard channel.isActive else { return }
            // First in the pipeline, so the bytes never reach the frame decoder.
            try? channel.pipeline.syncOperations.addHandler(Drain(), position: .first)
            channel.close(mode: .output, promise: nil)
            loop.scheduleTask(in: linger) { channel.close(promise: nil) }
        }
        try? await channel.closeFuture.get()
    }

    /// Reads and drops everything; closes once the peer has closed its side.
    final class Drain: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny

        func handlerAdded(context: ChannelHandlerContext) {
            context.read()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

        func channelReadComplete(context: ChannelHandlerContext) {
            context.read()
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case ChannelEvent.inputClosed = event { context.close(promise: nil) }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
