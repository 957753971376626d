import GridNode
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Fault injection between two nodes: a TCP proxy on loopback that forwards to `target`, until a
/// test cuts its connections (as a reset would), black-holes them (a partition: the connections
/// stay open, nothing gets through either way), or heals it. Dial a node through ``address``.
public final class FaultProxy: Sendable {
    public enum Mode: Sendable { case forward, blackhole }

    private struct State {
        var mode = Mode.forward
        var channels: [Channel] = []
    }

    public let address: HostPort
    private let server: Channel
    private let state: NIOLockedValueBox<State>

    private init(address: HostPort, server: Channel, state: NIOLockedValueBox<State>) {
        self.address = address
        self.server = server
        self.state = state
    }

    /// Listens on a free loopback port and forwards each connection to `target`.
    public static func start(to target: HostPort) async throws -> FaultProxy {
        let state = NIOLockedValueBox(State())
        let group = MultiThreadedEventLoopGroup.singleton
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                ClientBootstrap(group: inbound.eventLoop).connect(host: target.host, port: target.port).flatMap { outbound in
                    state.withLockedValue { $0.channels += [inbound, outbound] }
                    return inbound.pipeline.addHandler(Relay(partner: outbound, state: state)).flatMap {
                        outbound.pipeline.addHandler(Relay(partner: inbound, state: state))
                    }.map { inbound.read() }
                }.flatMapError { error in
                    inbound.close(promise: nil)
                    return inbound.eventLoop.makeFailedFuture(error)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = server.localAddress?.port ?? 0
        return FaultProxy(address: HostPort(host: "127.0.0.1", port: port), server: server, state: state)
    }

    /// Nothing gets through, either way, on the open connections and on new ones (a partition).
    public func blackhole() { state.withLockedValue { $0.mode = .blackhole } }

    /// Bytes flow again.
    public func heal() { state.withLockedValue { $0.mode = .forward } }

    /// Closes every connection through the proxy (both sides see it end at once).
    public func cut() {
        let channels = state.withLockedValue { state -> [Channel] in
            defer { state.channels = [] }
            return state.channels
        }
        for channel in channels { channel.close(promise: nil) }
    }

    /// Stops listening and closes every connection.
    public func stop() async {
        cut()
        try? await server.close()
    }

    private final class Relay: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let partner: Channel
        let state: NIOLockedValueBox<State>

        init(partner: Channel, state: NIOLockedValueBox<State>) {
            self.partner = partner
            self.state = state
        }

        func channelActive(context: ChannelHandlerContext) {
            context.read()
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = unwrapInboundIn(data)
            if state.withLockedValue({ $0.mode }) == .forward {
                partner.writeAndFlush(bytes, promise: nil)
            }
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            context.read()
        }

        func channelInactive(context: ChannelHandlerContext) {
            partner.close(promise: nil)
            context.fireChannelInactive()
        }
    }
}
