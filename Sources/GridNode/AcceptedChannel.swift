import NIOCore

/// Wraps a connection a server accepted with reading off (codecs already in place) for async use,
/// then starts reading. Servers hand out plain channels and wrap them here, where the wrapper is
/// always consumed: a wrapped channel dropped unconsumed (one accepted as the node stops) traps
/// inside NIO.
func wrapAccepted<Inbound: Sendable, Outbound: Sendable>(
    _ channel: any Channel, as _: NIOAsyncChannel<Inbound, Outbound>.Type = NIOAsyncChannel<Inbound, Outbound>.self
) async throws -> NIOAsyncChannel<Inbound, Outbound> {
    try await channel.eventLoop.submit {
        let wrapped = try NIOAsyncChannel<Inbound, Outbound>(wrappingChannelSynchronously: channel)
        try channel.syncOptions?.setOption(.autoRead, value: true)
        return wrapped
    }.get()
}
