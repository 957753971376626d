import NIOCore

/// Holds back the bytes a test node sends to a peer by the delay its ``FaultPlan`` says (with
/// jitter), keeping their order: each write goes out no earlier than the one before it. Sits next
/// to the socket, below the frame encryption, and only in the pipelines of a node started with
/// `--allow-faults`; with no delay set, bytes pass straight through unless earlier ones still wait.
final class FaultDelayHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let faults: FaultSwitch
    /// When the last held-back write is due; writes after it may not overtake it.
    private var lastDue = NIODeadline.uptimeNanoseconds(0)

    init(faults: FaultSwitch) {
        self.faults = faults
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let delay = faults.frameDelay()
        let now = context.eventLoop.now
        guard delay > .zero || lastDue > now else {
            context.write(data, promise: promise)
            return
        }
        let due = max(now + .nanoseconds(Int64(delay.components.seconds) * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000),
                      lastDue + .nanoseconds(1))
        lastDue = due
        let held = NIOLoopBound((context, data), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(deadline: due) {
            held.value.0.writeAndFlush(held.value.1, promise: promise)
        }
    }

    func flush(context: ChannelHandlerContext) {
        // Held-back writes flush themselves when they go out; the rest flush now.
        context.flush()
    }
}
