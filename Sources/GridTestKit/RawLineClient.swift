import NIOCore
import NIOPosix

/// Sends raw bytes to a local API socket and reads raw response lines, for malformed-input tests.
public final class RawLineClient {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    init(inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.inbound = inbound
        self.outbound = outbound
    }

    public static func withConnection<R>(socketPath: String, _ body: (RawLineClient) async throws -> R) async throws -> R {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: socketPath) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await body(RawLineClient(inbound: inbound.makeAsyncIterator(), outbound: outbound))
        }
    }

    public func send(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    /// The next whole line (without its newline), or nil when the node closed the connection.
    private var pending = ""

    public func readLine() async throws -> String? {
        while true {
            if let newline = pending.firstIndex(of: "\n") {
                let line = String(pending[..<newline])
                pending = String(pending[pending.index(after: newline)...])
                return line
            }
            guard let chunk = try await inbound.next() else { return nil }
            pending += String(buffer: chunk)
        }
    }
}
