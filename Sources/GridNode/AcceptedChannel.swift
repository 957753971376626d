import NIOCore

/// Wraps a connection a server accepted with reading off (codecs already in place) for async use,
/// then starts reading. Servers hand out plain channels and wrap them here, where the wrapper is
/// always consumed: a wrapped channel dropped unconsumed (one accepted as the node stops) traps
/// inside NIO.
func wrapAccepted<Inbound: Sendable, Outbound: Sendable>(
    _ channel: any Channel, as _: NIOAsyncChannel<Inbound, Outbound>.Type = NIOAsyncChannel<Inbound, Outbound>.self,
    releasing held: String? = nil
) async throws -> NIOAsyncChannel<Inbound, Outbound> {
    try await channel.eventLoop.submit {
        let wrapped = try NIOAsyncChannel<Inbound, Outbound>(wrappingChannelSynchronously: channel)
        // What a handler held until now goes to the wrapper (the local API's HeldInbound).
        if let held { _ = channel.pipeline.syncOperations.removeHandler(name: held) }
        try channel.syncOptions?.setOption(.autoRead, value: true)
        return wrapped
    }.get()
}
