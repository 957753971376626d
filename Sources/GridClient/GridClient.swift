import Foundation
import GridCore
import GridLocalAPI
import NIOCore
import NIOPosix

/// What an application uses to talk to its node over the local API socket.
///
///     try await GridClient.withConnection(socketPath: dir + "/gridnode.sock") { node in
///         let view = try await node.submit(SubmitParams(skill: "sha256", input: "hello", wait: true))
///     }
public enum GridClient {
    /// Connects to the node's socket, runs `body`, and closes the connection.
    public static func withConnection<R>(
        socketPath: String, _ body: (GridConnection) async throws -> R
    ) async throws -> R {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(unixDomainSocketPath: socketPath) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(LineFrameEncoder()))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw GridError(
                .nodeUnreachable,
                "no node answers at \(socketPath) (\(error)); start one with 'gridnode run', or pass the --data-dir it runs with")
        }
        return try await channel.executeThenClose { inbound, outbound in
            try await body(GridConnection(inbound: inbound.makeAsyncIterator(), outbound: outbound))
        }
    }
}

/// One open connection to a node. Requests are answered in order; use it from one task at a time.
public final class GridConnection {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var lastID: Int64 = 0

    init(inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.inbound = inbound
        self.outbound = outbound
    }

    /// Submits a task; with `wait: true` returns the finished task, or throws an ``RPCError`` whose
    /// `data.reason` says why it failed.
    public func submit(_ params: SubmitParams) async throws -> TaskView {
        try await call(.taskSubmit, params)
    }

    public func task(_ taskID: String) async throws -> TaskView {
        try await call(.taskGet, TaskGetParams(taskId: taskID))
    }

    /// Cancels a task still in flight; its view afterwards (unchanged when it had already ended).
    public func cancel(_ taskID: String) async throws -> TaskView {
        try await call(.taskCancel, TaskGetParams(taskId: taskID))
    }

    /// The tasks submitted to the node, newest submission first (without their attempts).
    public func list(_ params: TaskListParams = TaskListParams()) async throws -> [TaskView] {
        try await call(.taskList, params)
    }

    /// Waits until all (or any) of the tasks have ended, or the timeout passes: those that ended,
    /// in the order asked, and the IDs still running.
    public func wait(_ params: TaskWaitParams) async throws -> TaskWaitResult {
        try await call(.taskWait, params)
    }

    public func peers() async throws -> [PeerView] {
        try await call(.peersList, NoResult?.none)
    }

    public func addPeer(_ params: PeerAddParams) async throws -> PeerActionResult {
        try await call(.peersAdd, params)
    }

    public func banPeer(_ params: PeerBanParams) async throws -> PeerActionResult {
        try await call(.peersBan, params)
    }

    /// Wrong results on record, newest first.
    public func evidence(_ params: EvidenceParams = EvidenceParams()) async throws -> [EvidenceView] {
        try await call(.peersEvidence, params)
    }

    /// How the node would route a task of `skill` now: candidates best first, then excluded nodes.
    public func route(_ params: RouteParams) async throws -> [RouteEntryView] {
        try await call(.routeExplain, params)
    }

    /// The node's task metrics: counts, latencies, queue depth, tasks in flight.
    public func metrics() async throws -> MetricsSnapshot {
        try await call(.nodeMetrics, NoResult?.none)
    }

    public func info() async throws -> NodeInfoView {
        try await call(.nodeInfo, NoResult?.none)
    }

    /// Sends one request and reads its response.
    public func call<P: Codable & Sendable, R: Codable & Sendable>(_ method: LocalAPI.Method, _ params: P?) async throws -> R {
        lastID += 1
        let request = RPCRequest(id: .number(lastID), method: method.rawValue, params: params)
        try await outbound.write(ByteBuffer(bytes: try JSONEncoder().encode(request)))
        guard let line = try await inbound.next() else {
            throw GridError(.nodeUnreachable, "the node closed the connection before answering \(method.rawValue)")
        }
        let response = try JSONDecoder().decode(RPCResponse<R>.self, from: Data(line.readableBytesView))
        if let error = response.error { throw error }
        guard let result = response.result else {
            throw GridError(.nodeUnreachable, "the node's answer to \(method.rawValue) has neither result nor error")
        }
        return result
    }
}

extension GridError.Code {
    public static let nodeUnreachable = Self("client.node_unreachable")
}
