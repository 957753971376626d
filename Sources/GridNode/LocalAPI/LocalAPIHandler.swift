import Foundation
import GridCore
import GridCrypto
import GridLocalAPI
import GridStore
import GridWire

/// Answers one local API request line (Protocol/local-api.md). Never throws: every problem becomes
/// a JSON-RPC error the application can act on.
struct LocalAPIHandler {
    let node: NodeContext
    let coordinator: DelegationCoordinator
    let listenAddress: String
    /// The entries of the bootstrap file (`peers.remove` says when it lists the peer removed).
    var bootstrap: [BootstrapPeer] = []

    /// The response line for `line` (whose head the server has read: nil when it could not), or
    /// nil for a notification (a request without an ID). A line that is not a request at all is
    /// answered with `"id": null`.
    func respond(to line: Data, head: RPCRequestHead?, on connection: LocalAPIConnection) async -> Data? {
        // JSON is UTF-8 (RFC 8259); Foundation's decoder would let invalid bytes through.
        guard String(validating: line, as: UTF8.self) != nil else {
            return encode(RPCResponse<NoResult>(
                id: nil, error: RPCError(code: RPCError.parseError, message: "the request is not valid UTF-8: send text in UTF-8, and binary data as base64 (inputBase64)")))
        }
        let bytes = [UInt8](line)
        if let error = RequestChecks.malformed(bytes, headRead: head != nil) {
            return encode(RPCResponse<NoResult>(id: head?.id, error: error))
        }
        guard let head else { return nil }  // not reached: a line whose head cannot be read is malformed
        guard head.jsonrpc == "2.0", let name = head.method else {
            return encode(RPCResponse<NoResult>(
                id: head.id, error: RPCError(code: RPCError.invalidRequest, message: "a request needs \"jsonrpc\": \"2.0\" and a \"method\"")))
        }
        guard let method = LocalAPI.Method(rawValue: name) else {
            guard head.id != nil else { return nil }  // a notification gets no answer, not even an error
            let known = LocalAPI.Method.allCases.map(\.rawValue).joined(separator: ", ")
            return encode(RPCResponse<NoResult>(
                id: head.id, error: RPCError(code: RPCError.methodNotFound, message: "unknown method '\(name.prefix(64))'; methods: \(known)")))
        }
        let response: Data
        switch method {
        case .taskSubmit: response = await call(line, id: head.id) { (params: SubmitParams?) throws(RPCError) in
            try await submit(params, requestID: head.id, on: connection)
        }
        case .taskGet: response = await call(line, id: head.id, getTask)
        case .taskCancel: response = await call(line, id: head.id, cancelTask)
        case .peersList: response = await call(line, id: head.id) { (_: NoResult?) in await peerViews() }
        case .nodeInfo: response = await call(line, id: head.id) { (_: NoResult?) in await info() }
        case .nodeMetrics: response = await call(line, id: head.id) { (_: NoResult?) in await coordinator.metricsSnapshot() }
        case .peersAdd: response = await call(line, id: head.id, addPeer)
        case .peersBan: response = await call(line, id: head.id, banPeer)
        case .peersUnban: response = await call(line, id: head.id, unbanPeer)
        case .peersRemove: response = await call(line, id: head.id, removePeer)
        case .routeExplain: response = await call(line, id: head.id, explainRoute)
        case .peersEvidence: response = await call(line, id: head.id, evidence)
        case .skillServe: response = await call(line, id: head.id) { (params: ServeParams?) throws(RPCError) in
            guard let params else { throw invalid("skill.serve needs params: {\"skills\": [{\"name\": ..., \"capacity\": ...}]}") }
            return try await connection.serve(params)
        }
        case .skillUnserve: response = await call(line, id: head.id) { (params: UnserveParams?) throws(RPCError) in
            try await connection.unserve(params)
        }
        case .taskProgress: response = await call(line, id: head.id) { (params: TaskProgressParams?) throws(RPCError) -> NoResult in
            guard let params else { throw invalid("task.progress needs params: {\"taskId\": ..., \"fraction\": ..., \"message\": ...}") }
            try await connection.progress(params)
            return NoResult()
        }
        case .taskWatch: response = await call(line, id: head.id) { (params: TaskGetParams?) throws(RPCError) in
            try await watch(params, on: connection)
        }
        case .taskList: response = await call(line, id: head.id, listTasks)
        case .taskWait: response = await call(line, id: head.id, waitForTasks)
        case .faultsGet: response = await call(line, id: head.id) { (_: NoResult?) in node.faults.current }
        case .faultsSet: response = await call(line, id: head.id, setFaults)
        }
        return head.id == nil ? nil : response
    }

    private func call<P: Codable & Sendable, R: Codable & Sendable>(
        _ line: Data, id: RPCID?, _ body: (P?) async throws(RPCError) -> R
    ) async -> Data {
        let bytes = [UInt8](line)
        let method = (try? JSONDecoder().decode(RPCRequestHead.self, from: line))?.method ?? ""
        if let error = RequestChecks.paramsProblem(bytes, method: method, takesNone: P.self == NoResult.self) {
            return encode(RPCResponse<R>(id: id, error: error))
        }
        let params: P?
        do {
            params = try JSONDecoder().decode(RPCRequest<P>.self, from: line).params
        } catch {
            return encode(RPCResponse<R>(
                id: id, error: RPCError(code: RPCError.invalidParams, message: "invalid params: \(DecodingErrorText.describe(error, in: bytes))")))
        }
        do {
            return encode(RPCResponse(id: id, result: try await body(params)))
        } catch {
            return encode(RPCResponse<R>(id: id, error: error))
        }
    }

    private func submit(_ params: SubmitParams?, requestID: RPCID?, on connection: LocalAPIConnection) async throws(RPCError) -> TaskView {
        guard let params else { throw invalid("task.submit needs params: {\"skill\": ..., \"input\": ...}") }
        let spec = try taskSpec(from: params)
        // Watching starts before the task does, so not even its first event is missed.
        var watcher = params.wait == true && params.events == true ? node.events.watch(spec.id, startingNow: true) : nil
        let id: TaskID
        do {
            id = try await record(spec, idempotencyKey: params.idempotencyKey)  // an earlier task's ID for a key used before
        } catch {
            node.events.forget(spec.id)
            throw error
        }
        if id != spec.id, watcher != nil {
            node.events.forget(spec.id)
            watcher = node.events.watch(id)
        }
        guard params.wait == true else {
            return try await storedTask(id)  // usually still running; a task nobody can run has failed already
        }
        if let requestID {
            await connection.notify(.taskSubmitted, TaskSubmittedNotice(requestId: requestID, taskId: id.hex))
        }
        return try await finished(id, events: watcher, on: connection)
    }

    /// `task.watch`: the task's events as notifications, then its outcome.
    private func watch(_ params: TaskGetParams?, on connection: LocalAPIConnection) async throws(RPCError) -> TaskView {
        guard let params else { throw invalid("task.watch needs params: {\"taskId\": ...}") }
        let id: TaskID
        do { id = try TaskID(hex: params.taskId) } catch { throw invalid("taskId: \(error.message)") }
        _ = try await storedTask(id)  // an unknown task is an error
        return try await finished(id, events: node.events.watch(id), on: connection)
    }

    /// Passes on `events` (when given) until the task ends, then answers as a waiting submit does:
    /// the TaskView on success, `-32001` on failure.
    private func finished(_ id: TaskID, events: AsyncStream<TaskEventView>?, on connection: LocalAPIConnection) async throws(RPCError) -> TaskView {
        if let events {
            for await event in events {
                await connection.notify(.taskEvent, TaskEventNotice(taskId: id.hex, event: event))
            }
        }
        let completion = await coordinator.completion(of: id)
        if let completion, case .failure(let failure) = completion.outcome {
            throw RPCError(code: RPCError.taskFailed, message: failure.message, data: .init(taskId: id.hex, reason: failure.code.rawValue))
        }
        if completion == nil, node.isStopping, (try? await node.journal.task(id))?.status == .running {
            throw Self.stopping([id.hex])
        }
        return try await finishedView(id)
    }

    private func finishedView(_ id: TaskID) async throws(RPCError) -> TaskView {
        let view = try await storedTask(id)
        if let error = view.error {
            throw RPCError(code: RPCError.taskFailed, message: error.message, data: .init(taskId: id.hex, reason: error.code))
        }
        return view
    }

    private func taskSpec(from params: SubmitParams) throws(RPCError) -> TaskSpec {
        let skill: SkillID
        do { skill = try SkillID(params.skill) } catch { throw invalid(error.message) }
        let input: [UInt8]
        switch (params.input, params.inputBase64) {
        case (let text?, nil): input = Array(text.utf8)
        case (nil, let base64?):
            guard let data = Data(base64Encoded: base64) else { throw invalid("inputBase64 is not valid base64") }
            input = Array(data)
        case (nil, nil): input = []
        case (_?, _?): throw invalid("give the input as \"input\" or \"inputBase64\", not both")
        }
        let settings = node.settings
        guard input.count <= settings.maxTaskBytes else {
            throw RPCError(
                code: RPCError.invalidParams, message: "input is \(input.count) bytes; this node accepts at most \(settings.maxTaskBytes) (maxTaskBytes)",
                data: .init(reason: TaskFailure.Code.tooLarge.rawValue))
        }
        let timeoutMs = params.timeoutMs ?? settings.defaultTaskTimeoutMs
        guard (1...settings.maxTaskTimeoutMs).contains(timeoutMs) else {
            throw invalid("timeoutMs is \(timeoutMs); use 1-\(settings.maxTaskTimeoutMs) (maxTaskTimeoutMs)")
        }
        let priority = params.priority ?? Int(TaskSpec.defaultPriority)
        guard (0...255).contains(priority) else { throw invalid("priority is \(priority); use 0-255") }
        let replicas = params.replicas ?? 1
        guard (1...TaskSpec.maxReplicas).contains(replicas) else {
            throw invalid("replicas is \(replicas); use 1-\(TaskSpec.maxReplicas)")
        }
        let minTrust = params.minTrust ?? 0
        guard (0...1).contains(minTrust) else { throw invalid("minTrust is \(minTrust); use a trust level from 0 to 1") }
        let verify = params.verify ?? VerifyMode.sample.rawValue
        guard let mode = VerifyMode(rawValue: verify) else {
            throw invalid("verify is '\(verify.prefix(32))'; use sample (the default), strict or off")
        }
        var rng = SecureRandomNumberGenerator()
        return TaskSpec(
            id: .random(using: &rng), skill: skill, input: input, priority: UInt8(priority), timeout: .milliseconds(timeoutMs),
            replicas: replicas, minimumTrust: minTrust, retryApplicationErrors: params.retryApplicationErrors ?? false,
            cacheable: params.cacheable ?? false, verify: mode)
    }

    /// `task.cancel`: stops a task still in flight (a peer holding it is sent a TaskCancel); the
    /// task's view afterwards. A task that already ended is left as it is.
    private func cancelTask(_ params: TaskGetParams?) async throws(RPCError) -> TaskView {
        guard let params else { throw invalid("task.cancel needs params: {\"taskId\": ...}") }
        let id: TaskID
        do { id = try TaskID(hex: params.taskId) } catch { throw invalid("taskId: \(error.message)") }
        _ = try await storedTask(id)  // an unknown task is an error
        if await coordinator.cancel(id) {
            _ = await coordinator.completion(of: id)  // the cancellation is recorded before answering
        }
        return try await storedTask(id)
    }

    private func getTask(_ params: TaskGetParams?) async throws(RPCError) -> TaskView {
        guard let params else { throw invalid("task.get needs params: {\"taskId\": ...}") }
        let id: TaskID
        do { id = try TaskID(hex: params.taskId) } catch { throw invalid("taskId: \(error.message)") }
        return try await storedTask(id)
    }

    func storedTask(_ id: TaskID) async throws(RPCError) -> TaskView {
        let record: TaskRecord?
        do { record = try await node.journal.task(id) } catch { throw RPCError(code: RPCError.unavailable, message: error.message) }
        guard let record else {
            throw RPCError(code: RPCError.taskNotFound, message: "no task \(id) on this node; task IDs are per node", data: .init(taskId: id.hex))
        }
        let attempts = record.status == .running ? nil : (try? await node.journal.attempts(of: id))
        return TaskView(record, attempts: attempts)
    }

    private func info() async -> NodeInfoView {
        NodeInfoView(
            nodeId: node.nodeID.hex, listenAddress: listenAddress, skills: node.localSkills.map(\.name).sorted(),
            peerCount: await node.peers.peerCount, droppedMessages: await node.stats.droppedMessages,
            protocolVersion: Int(HandshakeMachine.protocolVersion), faultsAllowed: node.faults.allowed,
            faults: node.faults.allowed ? node.faults.current : nil, refusedConnections: await node.stats.refusedConnections)
    }

    func invalid(_ message: String) -> RPCError {
        RPCError(code: RPCError.invalidParams, message: message)
    }

    private func encode<R>(_ response: RPCResponse<R>) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Plain strings and numbers only: encoding cannot fail.
        return (try? encoder.encode(response)) ?? Data(#"{"jsonrpc":"2.0","error":{"code":-32603,"message":"internal error"}}"#.utf8)
    }
}

extension TaskView {
    init(_ record: TaskRecord, attempts: [TaskAttemptRecord]? = nil) {
        let status: Status = switch record.status {
        case .running: .running
        case .succeeded: .succeeded
        case .failed: .failed
        }
        var output: String?
        var outputBase64: String?
        if let data = record.output {
            if let text = String(validating: data, as: UTF8.self) { output = text } else { outputBase64 = data.base64EncodedString() }
        }
        self.init(
            taskId: record.id, skill: record.skill, status: status, submittedAtMs: record.submittedAtMs,
            finishedAtMs: record.finishedAtMs, executor: record.executor, output: output, outputBase64: outputBase64,
            error: record.errorCode.map { Failure(code: $0, message: record.errorMessage ?? "") },
            attempts: attempts?.map { Attempt(nodeId: $0.node, replica: $0.replica, outcome: $0.result, latencyMs: $0.latencyMs) })
    }
}
