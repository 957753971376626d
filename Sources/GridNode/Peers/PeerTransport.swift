#if canImport(Glibc)
import Glibc
#endif
import GridCore
import GridWire
import NIOCore
import NIOPosix

/// A TCP connection to a peer: frame bodies in (plain or encrypted: the connection decides),
/// frames out (encrypted once the handshake says so).
typealias PeerChannel = NIOAsyncChannel<ByteBuffer, OutboundFrame>

/// Opens TCP listeners and dials, with the frame codec in place.
enum PeerTransport {
    static func configure(_ channel: any Channel, maxFrameBytes: Int, faults: FaultSwitch) -> EventLoopFuture<PeerChannel> {
        channel.eventLoop.makeCompletedFuture {
            try addCodecs(channel, maxFrameBytes: maxFrameBytes, faults: faults)
            return try PeerChannel(wrappingChannelSynchronously: channel)
        }
    }

    /// With faults allowed, a ``FaultDelayHandler`` sits next to the socket.
    private static func addCodecs(_ channel: any Channel, maxFrameBytes: Int, faults: FaultSwitch) throws {
        let pipeline = channel.pipeline.syncOperations
        if faults.allowed { try pipeline.addHandler(FaultDelayHandler(faults: faults)) }
        try pipeline.addHandler(ByteToMessageHandler(RawFrameDecoder(maxFrameBytes: maxFrameBytes)))
        try pipeline.addHandler(SecureFrameWriter(maxFrameBytes: maxFrameBytes))
    }

    /// Listens on `address`. Accepted connections come out as plain channels with their codecs in
    /// place and reading off; ``accept(_:)`` wraps each one where it will be consumed. (A wrapped
    /// channel dropped unconsumed — one accepted while the node stops — would trap inside NIO.)
    static func listen(on address: HostPort, maxFrameBytes: Int, faults: FaultSwitch) async throws(GridError) -> NIOAsyncChannel<any Channel, Never> {
        do {
            return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.autoRead, value: false)
                .bind(host: address.host, port: address.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try addCodecs(channel, maxFrameBytes: maxFrameBytes, faults: faults)
                        return channel
                    }
                }
        } catch {
            throw GridError(.listenFailed, listenFailure(address, error))
        }
    }

    /// Why listening on `address` failed, and what to do, by the kind of failure.
    static func listenFailure(_ address: HostPort, _ error: any Error) -> String {
        if let error = error as? IOError {
            switch error.errnoCode {
            case EADDRINUSE:
                return "cannot listen on \(address): the port is in use (is another node running there?); choose another with --listen"
            case EADDRNOTAVAIL:
                return "cannot listen on \(address): \(address.host) is not an address of this machine; use one of its addresses, 127.0.0.1 or 0.0.0.0"
            case EACCES:
                return "cannot listen on \(address): not allowed (ports below 1024 need privileges); choose a port of 1024 or more"
            default:
                return "cannot listen on \(address): \(error.description)"
            }
        }
        if error is SocketAddressError || error is SocketAddressError.UnknownHost {
            return "cannot listen on \(address): the host name \(address.host) does not resolve; give an IP address, such as 127.0.0.1 or 0.0.0.0"
        }
        return "cannot listen on \(address): \(error)"
    }

    /// Wraps an accepted connection for async use, then starts reading from it.
    static func accept(_ channel: any Channel) async throws -> PeerChannel {
        try await wrapAccepted(channel, as: PeerChannel.self)
    }

    static func dial(_ address: HostPort, connectTimeout: Duration, maxFrameBytes: Int, faults: FaultSwitch) async throws -> PeerChannel {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.nanoseconds(connectTimeout.nanoseconds))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: address.host, port: address.port) { channel in
                configure(channel, maxFrameBytes: maxFrameBytes, faults: faults)
            }
    }
}

extension GridError.Code {
    public static let listenFailed = Self("node.listen_failed")
}
