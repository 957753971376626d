#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import GridCore
import GridLocalAPI
import Logging
import NIOCore
import NIOPosix

/// The Unix socket applications talk to (mode 0600 inside the 0700 data directory).
enum LocalAPIServer {
    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// The name of each connection's ``HeldInbound``, removed once the connection is wrapped.
    static let heldInbound = "held-inbound"

    /// sun_path holds 108 bytes with its terminating NUL.
    static let maxSocketPathBytes = 107

    /// Listens on `path`. Accepted connections come out as plain channels with their codecs in
    /// place and reading off; ``accept(_:)`` wraps each one where it will be consumed.
    static func bind(at path: String) async throws(GridError) -> NIOAsyncChannel<any Channel, Never> {
        guard path.utf8.count <= maxSocketPathBytes else {
            throw GridError(
                .listenFailed,
                "the socket path \(path) is \(path.utf8.count) bytes; Unix sockets allow \(maxSocketPathBytes): use a shorter --data-dir")
        }
        do {
            let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .childChannelOption(.autoRead, value: false)
                // A client that shuts its writing side still reads the answers to what it sent.
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(LineFrameEncoder()))
                        try channel.pipeline.syncOperations.addHandler(HeldInbound(), name: heldInbound)
                        return channel
                    }
                }
            guard chmod(path, 0o600) == 0 else {
                throw GridError(.listenFailed, "cannot set mode 0600 on \(path): \(String(cString: strerror(errno)))")
            }
            return server
        } catch let error as GridError {
            throw error
        } catch {
            throw GridError(.listenFailed, "cannot open the local API socket \(path): \(error)")
        }
    }

    /// Answers a connection beyond `maxLocalConnections` with one error line, then closes it.
    static func refuse(_ channel: any Channel, openConnections: Int, stats: NodeStats, logger: Logger) async {
        await stats.refused(.localConnections)
        let message =
            "the node already has \(openConnections) local API connections open (maxLocalConnections); close some, or raise maxLocalConnections in config.json"
        let line = #"{"jsonrpc":"2.0","id":null,"error":{"code":-32003,"message":"\#(message)","data":{"reason":"too_many_connections"}}}"#
        refusals.log(logger, message)
        channel.writeAndFlush(ByteBuffer(string: line)).whenComplete { _ in channel.close(promise: nil) }
    }

    /// At most one line per 10 s about refused local connections, however many there are.
    static let refusals = RefusalLog(what: "local API connections refused")

    /// Wraps an accepted connection for async use, then starts reading from it.
    static func accept(_ channel: any Channel) async throws -> Connection {
        try await wrapAccepted(channel, as: Connection.self, releasing: heldInbound)
    }

    /// Serves one connection until the client closes it. Requests are answered concurrently (at
    /// most ``LocalAPI/maxConcurrentRequests`` at once), so a waiting `task.submit` holds up nothing
    /// behind it; answers to the node's own requests (`task.run`) are taken at once, in order.
    static func serve(_ connection: Connection, handler: LocalAPIHandler, logger: Logger) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                let session = LocalAPIConnection(node: handler.node, writer: outbound, logger: logger)
                await withDiscardingTaskGroup { requests in
                    do {
                        for try await buffer in inbound {
                            let line = Data(buffer.readableBytesView)
                            let head = try? JSONDecoder().decode(RPCRequestHead.self, from: line)
                            if let head, head.isResponse {
                                await session.answer(head.id, line: line)
                                continue
                            }
                            // Progress is taken in order with the answers, so a report sent just
                            // before its task's answer is not lost behind it.
                            if head?.method == LocalAPI.Method.taskProgress.rawValue {
                                if let response = await handler.respond(to: line, head: head, on: session) { await session.write(response) }
                                continue
                            }
                            await session.acquire()
                            requests.addTask {
                                if let response = await handler.respond(to: line, head: head, on: session) {
                                    await session.write(response)
                                }
                                await session.release()
                            }
                        }
                    } catch let error as GridError where error.code == .lineTooLong {
                        let reply = #"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"\#(error.message)"}}"#
                        await session.write(Data(reply.utf8))
                    } catch {
                        logger.debug("local API connection ended: \(error)")
                    }
                    // The client is gone: what it served is withdrawn now, not when its requests end.
                    await session.close()
                }
            }
        } catch {
            logger.debug("local API connection ended: \(error)")
        }
    }
}
