import Foundation
import GridCore
import GridLocalAPI
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// What an application uses to talk to its node over the local API socket.
///
///     try await GridClient.withConnection(socketPath: dir + "/gridnode.sock") { node in
///         let view = try await node.submit(SubmitParams(skill: "sha256", input: "hello", wait: true))
///     }
public enum GridClient {
    /// Connects to the node's socket, runs `body`, and closes the connection.
    public static func withConnection<R: Sendable>(
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
            let connection = GridConnection(outbound: outbound)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                // Reads every line the node sends: answers, notifications, and tasks to run.
                group.addTask { await connection.read(inbound) }
                let result = try await body(connection)
                group.cancelAll()
                return result
            }
        }
    }
}

/// One open connection to a node. Requests may be made from several tasks at once; answers are
/// matched to them by ID. A connection that serves skills runs their handlers as the node hands it
/// tasks (``serve(_:capacity:description:deterministic:handler:)``).
public final class GridConnection: Sendable {
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let state = NIOLockedValueBox(State())

    struct State {
        var lastID: Int64 = 0
        /// Requests sent and not answered yet, and answers that came before their caller waited.
        var waiting: [Int64: CheckedContinuation<Data, any Error>] = [:]
        var early: [Int64: Data] = [:]
        var expected: Set<Int64> = []
        var closed = false
        /// Event handlers by task ID, and those of waiting submits by request ID until the node
        /// names their task.
        var eventHandlers: [String: @Sendable (TaskEventView) -> Void] = [:]
        var submitHandlers: [Int64: SubmitHandlers] = [:]
        /// Handlers of the skills this connection serves, and the tasks they run now.
        var handlers: [String: SkillHandler] = [:]
        var running: [String: Task<Void, Never>] = [:]
        var onNodeError: (@Sendable (NodeErrorNotice) -> Void)?
        var closeWatchers: [AsyncStream<Void>.Continuation] = []
    }

    struct SubmitHandlers {
        var onSubmitted: (@Sendable (String) -> Void)?
        var onEvent: (@Sendable (TaskEventView) -> Void)?
    }

    /// Runs one task of a served skill: returns its output, or throws (``SkillError`` to pick the
    /// failure reason).
    public typealias SkillHandler = @Sendable (ServedTask) async throws -> [UInt8]

    init(outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.outbound = outbound
    }

    /// Submits a task; with `wait: true` returns the finished task, or throws an ``RPCError`` whose
    /// `data.reason` says why it failed. `onSubmitted` gets the task ID as soon as the node has
    /// recorded it (with `wait`); `onEvent` gets its events (with `wait`; sets `events`).
    public func submit(
        _ params: SubmitParams, onSubmitted: (@Sendable (String) -> Void)? = nil, onEvent: (@Sendable (TaskEventView) -> Void)? = nil
    ) async throws -> TaskView {
        var params = params
        if onEvent != nil { params.events = true }
        let handlers = SubmitHandlers(onSubmitted: onSubmitted, onEvent: onEvent)
        return try await call(.taskSubmit, params) { state, id in
            if handlers.onSubmitted != nil || handlers.onEvent != nil { state.submitHandlers[id] = handlers }
        }
    }

    public func task(_ taskID: String) async throws -> TaskView {
        try await call(.taskGet, TaskGetParams(taskId: taskID))
    }

    /// Follows a task: `onEvent` gets its events so far and each new one; returns when it ends,
    /// like a waiting submit.
    public func watch(_ taskID: String, onEvent: @escaping @Sendable (TaskEventView) -> Void) async throws -> TaskView {
        let key = taskID.lowercased()
        state.withLockedValue { $0.eventHandlers[key] = onEvent }
        defer { _ = state.withLockedValue { $0.eventHandlers.removeValue(forKey: key) } }
        return try await call(.taskWatch, TaskGetParams(taskId: taskID))
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

    /// Lifts a ban (the operator's, or one for misbehaviour) and clears the peer's misbehaviour score.
    public func unbanPeer(_ nodeID: String) async throws -> PeerActionResult {
        try await call(.peersUnban, PeerBanParams(nodeId: nodeID))
    }

    /// Takes a peer (by node ID) or every peer at an address out of the address book and stops dialling it.
    public func removePeer(_ params: PeerRemoveParams) async throws -> PeerActionResult {
        try await call(.peersRemove, params)
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

    /// Sends one request and waits for its answer.
    public func call<P: Codable & Sendable, R: Codable & Sendable>(_ method: LocalAPI.Method, _ params: P?) async throws -> R {
        try await call(method, params) { _, _ in }
    }

    func call<P: Codable & Sendable, R: Codable & Sendable>(
        _ method: LocalAPI.Method, _ params: P?, registering: (inout State, Int64) -> Void
    ) async throws -> R {
        let id = try state.withLockedValue { state throws -> Int64 in
            guard !state.closed else { throw GridError(.nodeUnreachable, "the node closed the connection") }
            state.lastID += 1
            state.expected.insert(state.lastID)
            registering(&state, state.lastID)
            return state.lastID
        }
        defer { state.withLockedValue { _ = $0.submitHandlers.removeValue(forKey: id) } }
        try await send(RPCRequest(id: .number(id), method: method.rawValue, params: params))
        let line = try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLockedValue { state -> Result<Data, any Error>? in
                if let line = state.early.removeValue(forKey: id) { return .success(line) }
                if state.closed {
                    return .failure(GridError(.nodeUnreachable, "the node closed the connection before answering \(method.rawValue)"))
                }
                state.waiting[id] = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
        let response = try JSONDecoder().decode(RPCResponse<R>.self, from: line)
        if let error = response.error { throw error }
        guard let result = response.result else {
            throw GridError(.nodeUnreachable, "the node's answer to \(method.rawValue) has neither result nor error")
        }
        return result
    }

    func send<T: Encodable>(_ value: T) async throws {
        try await outbound.write(ByteBuffer(bytes: try JSONEncoder().encode(value)))
    }
}

extension GridError.Code {
    public static let nodeUnreachable = Self("client.node_unreachable")
}
