import Foundation
import GridCore
import GridLocalAPI
import NIOCore

/// One task the node handed to a served skill's handler.
public struct ServedTask: Sendable {
    public let taskID: String
    public let skill: String
    public let input: [UInt8]
    /// The node the task came from (the serving node's own for a local submission).
    public let requester: String
    /// When the requester gives up, in milliseconds since the Unix epoch.
    public let deadlineMs: Int64
    public let priority: Int
    let connection: GridConnection

    /// The input as UTF-8 text (invalid bytes replaced).
    public var text: String { String(decoding: input, as: UTF8.self) }

    /// Reports progress: `fraction` 0-1 and/or a short message. The node passes it on to the
    /// requester at a bounded rate; a report that cannot be sent is dropped.
    public func progress(_ fraction: Double? = nil, message: String? = nil) async {
        let params = TaskProgressParams(taskId: taskID, requester: requester, fraction: fraction, message: message)
        try? await connection.send(RPCNotification(method: LocalAPI.Method.taskProgress.rawValue, params: params))
    }
}

/// Thrown by a skill handler to fail its task with a reason: `skill_failed` (the default: the work
/// failed), `invalid_input` (the input is unusable), or `internal` (this provider cannot do it now:
/// the task is tried elsewhere).
public struct SkillError: Error, Sendable {
    public var reason: String
    public var message: String
    public init(_ message: String, reason: String = "skill_failed") {
        self.message = message
        self.reason = reason
    }
}

extension GridConnection {
    /// Serves `skill` on this connection: the node hands it up to `capacity` tasks at once, each run
    /// by `handler`, for as long as the connection stays open (see ``untilClosed()``). A task the
    /// node cancels (its requester cancelled it, or its deadline passed) has its handler's task
    /// cancelled.
    @discardableResult
    public func serve(
        _ skill: String, capacity: Int = 1, description: String? = nil, deterministic: Bool = false,
        handler: @escaping SkillHandler
    ) async throws -> ServeResult {
        state.withLockedValue { $0.handlers[skill] = handler }  // before the node can hand it a task
        do {
            return try await call(
                .skillServe,
                ServeParams(skills: [ServedSkillParams(name: skill, capacity: capacity, description: description, deterministic: deterministic)]))
        } catch {
            state.withLockedValue { _ = $0.handlers.removeValue(forKey: skill) }
            throw error
        }
    }

    /// Stops serving `skills` (all when nil); with `drain`, the tasks running now finish first.
    @discardableResult
    public func unserve(_ skills: [String]? = nil, drain: Bool = false) async throws -> ServeResult {
        let result: ServeResult = try await call(.skillUnserve, UnserveParams(skills: skills, drain: drain))
        let still = Set(result.served.map(\.name))
        state.withLockedValue { state in state.handlers = state.handlers.filter { still.contains($0.key) } }
        return result
    }

    /// Called with every `node.error` the node sends: something this connection sent was wrong.
    public func onNodeError(_ handler: @escaping @Sendable (NodeErrorNotice) -> Void) {
        state.withLockedValue { $0.onNodeError = handler }
    }

    /// Returns when the node closes the connection, or the calling task is cancelled: a serving
    /// application awaits this.
    public func untilClosed() async {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
        let alreadyClosed = state.withLockedValue { state -> Bool in
            if state.closed { return true }
            state.closeWatchers.append(continuation)
            return false
        }
        if alreadyClosed { return }
        for await _ in stream {}
    }

    /// Runs a `task.run` from the node in `handlers`, and answers it.
    func start(_ params: TaskRunParams, requestID: String, in handlers: inout DiscardingTaskGroup) {
        let input: [UInt8]
        if let text = params.input {
            input = Array(text.utf8)
        } else if let base64 = params.inputBase64, let data = Data(base64Encoded: base64) {
            input = Array(data)
        } else {
            input = []
        }
        let handler = state.withLockedValue { $0.handlers[params.skill] }
        let served = ServedTask(
            taskID: params.taskId, skill: params.skill, input: input, requester: params.requester, deadlineMs: params.deadlineMs,
            priority: params.priority, connection: self)
        let key = requestID + "/" + params.requester + "/" + params.taskId
        let task = Task {
            let answer: Data
            do {
                guard let handler else { throw SkillError("this connection does not serve '\(params.skill)'", reason: "internal") }
                let output = try await handler(served)
                let result = String(validating: output, as: UTF8.self).map { TaskRunResult(output: $0) }
                    ?? TaskRunResult(outputBase64: Data(output).base64EncodedString())
                answer = try JSONEncoder().encode(RPCResponse(id: .string(requestID), result: result))
            } catch {
                let failure = error as? SkillError ?? SkillError("\(error)")
                answer = (try? JSONEncoder().encode(RPCResponse<TaskRunResult>(
                    id: .string(requestID),
                    error: RPCError(code: RPCError.taskFailed, message: failure.message, data: .init(taskId: params.taskId, reason: failure.reason)))))
                    ?? Data()
            }
            self.state.withLockedValue { _ = $0.running.removeValue(forKey: key) }
            // The node stopped waiting for a cancelled task: no answer is due.
            guard !Task.isCancelled else { return }
            try? await self.outbound.write(ByteBuffer(bytes: answer))
        }
        state.withLockedValue { $0.running[key] = task }
        handlers.addTask { await task.value }
    }
}
