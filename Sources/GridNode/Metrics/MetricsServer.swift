import GridCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// The Prometheus text endpoint: `GET /metrics` on a loopback address answers with the node's
/// metrics in the text exposition format 0.0.4; anything else gets 404 or 405.
enum MetricsServer {
    /// Binds `address`; the returned channel serves until closed.
    static func bind(_ address: HostPort, tasks: NodeTasks, snapshot: @escaping @Sendable () async -> MetricsSnapshot) async throws -> Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(tasks: tasks, snapshot: snapshot))
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
    }

    final class Handler: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let snapshot: @Sendable () async -> MetricsSnapshot
        /// Where each scrape's snapshot is taken: a task of the node's, ended at its stop.
        let tasks: NodeTasks

        init(tasks: NodeTasks, snapshot: @escaping @Sendable () async -> MetricsSnapshot) {
            self.tasks = tasks
            self.snapshot = snapshot
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .head(let head) = unwrapInboundIn(data) else { return }
            let keepAlive = head.isKeepAlive
            let channel = context.channel
            let loop = context.eventLoop
            guard head.method == .GET else {
                return Self.respond(on: channel, loop: loop, status: .methodNotAllowed, body: "use GET /metrics\n", keepAlive: keepAlive)
            }
            guard head.uri == "/metrics" || head.uri.hasPrefix("/metrics?") else {
                return Self.respond(on: channel, loop: loop, status: .notFound, body: "the metrics are at /metrics\n", keepAlive: keepAlive)
            }
            let snapshot = snapshot
            tasks.spawn {
                let text = PrometheusText.render(await snapshot())
                Self.respond(on: channel, loop: loop, status: .ok, body: text, contentType: PrometheusText.contentType, keepAlive: keepAlive)
            }
        }

        private static func respond(
            on channel: Channel, loop: EventLoop, status: HTTPResponseStatus, body: String,
            contentType: String = "text/plain; charset=utf-8", keepAlive: Bool
        ) {
            loop.execute {
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: contentType)
                headers.add(name: "Content-Length", value: "\(body.utf8.count)")
                if !keepAlive { headers.add(name: "Connection", value: "close") }
                channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)), promise: nil)
                channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: body))), promise: nil)
                let done = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
                if !keepAlive { done.whenComplete { _ in channel.close(promise: nil) } }
            }
        }
    }
}
