import Foundation
import GridCore
import GridLocalAPI
import Logging
import NIOCore

/// One application's connection to the local socket: writes its lines, bounds the requests it has
/// in progress, and — once it serves skills — is their provider: hands it tasks (`task.run`), takes
/// its answers and progress, and tells it of cancellations (Protocol/local-api.md, "Serving a skill").
actor LocalAPIConnection {
    let node: NodeContext
    private let writer: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let logger: Logger

    /// The tasks handed to the application and not answered yet, by the node's request ID.
    private var runs: [String: Run] = [:]
    private var lastRequestID: UInt64 = 0
    /// What this connection serves, and how.
    private(set) var served: [SkillID: ServedSkillParams] = [:]
    /// The executor's handle on this connection; gone once it closes.
    private var provider: AppProvider?
    private var closed = false

    private var active = 0
    private var waitingForSlot: [CheckedContinuation<Void, Never>] = []

    struct Run {
        var job: SkillJob
        var continuation: CheckedContinuation<ProviderAnswer, Never>?
        /// The answer, when it came before the run began to wait for it.
        var early: ProviderAnswer?
    }

    init(node: NodeContext, writer: NIOAsyncChannelOutboundWriter<ByteBuffer>, logger: Logger) {
        self.node = node
        self.writer = writer
        self.logger = logger
    }

    // MARK: Writing

    /// Also after ``close()``: a client that half-closed its socket (sent its requests, then shut
    /// its writing side, as `nc -N` and shell pipes do) still gets every answer owed to it. A
    /// client that has gone altogether makes the write fail, which is only logged.
    func write(_ line: Data) async {
        do { try await writer.write(ByteBuffer(bytes: line)) } catch { logger.debug("local API write failed: \(error)") }
    }

    func notify<P: Codable & Sendable>(_ method: LocalAPI.NodeMessage, _ params: P) async {
        await write(Self.encode(RPCNotification(method: method.rawValue, params: params)))
    }

    func tellError(_ message: String, id: RPCID? = nil) async {
        logger.info("application on the local socket: \(message)")
        await notify(.nodeError, NodeErrorNotice(message: message, id: id))
    }

    // MARK: Bounding requests in progress

    /// Waits until fewer than ``LocalAPI/maxConcurrentRequests`` requests are in progress.
    func acquire() async {
        if active < LocalAPI.maxConcurrentRequests {
            active += 1
            return
        }
        await withCheckedContinuation { waitingForSlot.append($0) }  // the slot passes straight to it
    }

    func release() {
        if waitingForSlot.isEmpty { active -= 1 } else { waitingForSlot.removeFirst().resume() }
    }

    // MARK: Serving

    func serve(_ params: ServeParams) throws(RPCError) -> ServeResult {
        guard !params.skills.isEmpty, params.skills.count <= LocalAPI.maxServedSkills else {
            throw RPCError(code: RPCError.invalidParams, message: "skills: give 1-\(LocalAPI.maxServedSkills) skills to serve")
        }
        var checked: [(SkillID, ServedSkillParams)] = []
        for entry in params.skills {
            let skill: SkillID
            do { skill = try SkillID(entry.name) } catch { throw RPCError(code: RPCError.invalidParams, message: "skills: \(error.message)") }
            let capacity = entry.capacity ?? 1
            guard (1...LocalAPI.maxServeCapacity).contains(capacity) else {
                throw RPCError(code: RPCError.invalidParams, message: "capacity of '\(skill)' is \(capacity); use 1-\(LocalAPI.maxServeCapacity)")
            }
            guard node.executor.skills[skill] == nil else {
                throw RPCError(
                    code: RPCError.invalidParams,
                    message: "skill '\(skill)' is served by this node itself (a built-in, command or embedded skill); pick another name")
            }
            if let description = entry.description, description.count > 200 {
                throw RPCError(code: RPCError.invalidParams, message: "description of '\(skill)' is \(description.count) characters; use at most 200")
            }
            checked.append((skill, ServedSkillParams(name: skill.name, capacity: capacity, description: entry.description, deterministic: entry.deterministic)))
        }
        guard Set(served.keys).union(checked.map(\.0)).count <= LocalAPI.maxServedSkills else {
            throw RPCError(code: RPCError.invalidParams, message: "a connection serves at most \(LocalAPI.maxServedSkills) skills; open another connection")
        }
        guard !closed else { throw RPCError(code: RPCError.unavailable, message: "the connection is closing") }
        let provider = self.provider ?? AppProvider(self)
        self.provider = provider
        for (skill, entry) in checked {
            do throws(GridError) {
                try node.executor.serve(provider, skill: skill, capacity: entry.capacity ?? 1, deterministic: entry.deterministic ?? false)
            } catch {
                throw RPCError(code: RPCError.invalidParams, message: error.message)
            }
            served[skill] = entry
            logger.info("an application serves '\(skill)' (capacity \(entry.capacity ?? 1))")
        }
        return servedView()
    }

    func unserve(_ params: UnserveParams?) async throws(RPCError) -> ServeResult {
        var skills: [SkillID] = []
        if let names = params?.skills {
            for name in names {
                guard let skill = try? SkillID(name), served[skill] != nil else {
                    throw RPCError(code: RPCError.invalidParams, message: "this connection does not serve '\(name.prefix(64))'")
                }
                skills.append(skill)
            }
        } else {
            skills = Array(served.keys)
        }
        let drain = params?.drain ?? false
        await withdraw(Set(skills), drain: drain, why: "the application stopped serving it", reason: .withdrawn)
        return servedView()
    }

    private func servedView() -> ServeResult {
        ServeResult(served: served.keys.sorted().map { skill in
            ServeResult.Served(name: skill.name, capacity: served[skill]?.capacity ?? 1, running: runs.values.filter { $0.job.skill == skill }.count)
        })
    }

    /// Stops serving `skills`: the executor withdraws them (peers are told), and unless draining,
    /// the tasks this connection runs of them go back to the executor for another provider.
    private func withdraw(_ skills: Set<SkillID>, drain: Bool, why: String, reason: TaskCancelNotice.Reason?) async {
        guard let provider else { return }
        for skill in skills {
            node.executor.withdraw(provider, skill: skill, drain: drain)
            served[skill] = nil
            logger.info("an application no longer serves '\(skill)': \(why)")
        }
        if served.isEmpty { self.provider = nil }
        guard !drain else { return }
        for (id, run) in runs where skills.contains(run.job.skill) {
            finish(id, .handedBack("the application serving '\(run.job.skill)' went away (\(why))"))
            if let reason {
                await notify(.taskCancel, TaskCancelNotice(taskId: run.job.taskID.hex, requester: run.job.requester.hex, reason: reason))
            }
        }
    }

    /// The connection closed: every skill is withdrawn and every task handed back.
    func close() async {
        await withdraw(Set(served.keys), drain: false, why: "its connection closed", reason: nil)
        closed = true
        for (id, run) in runs {  // drained tasks too
            finish(id, .handedBack("the application serving '\(run.job.skill)' disconnected"))
        }
    }

    // MARK: Tasks handed to the application

    /// Hands `job` to the application and waits for its answer, the deadline, a cancel or the end
    /// of the connection.
    func run(_ job: SkillJob) async -> ProviderAnswer {
        guard !closed else { return .handedBack("the application serving '\(job.skill)' disconnected") }
        lastRequestID += 1
        let id = LocalAPI.nodeRequestPrefix + String(lastRequestID)
        runs[id] = Run(job: job)
        let input: (text: String?, base64: String?) = String(validating: job.input, as: UTF8.self).map { ($0, nil) }
            ?? (nil, Data(job.input).base64EncodedString())
        let params = TaskRunParams(
            taskId: job.taskID.hex, skill: job.skill.name, input: input.text, inputBase64: input.base64, deadlineMs: job.deadlineMs,
            timeoutMs: max(0, job.deadlineMs - WallClock.nowMs()), priority: Int(job.priority), requester: job.requester.hex)
        await write(Self.encode(RPCRequest(id: .string(id), method: LocalAPI.NodeMessage.taskRun.rawValue, params: params)))
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard runs[id] != nil else {
                    return continuation.resume(returning: .outcome(.failure(TaskFailure(.cancelled, "the task was stopped"))))
                }
                if let early = runs[id]?.early {
                    runs[id] = nil
                    return continuation.resume(returning: early)
                }
                runs[id]?.continuation = continuation
            }
        } onCancel: {
            self.node.tasks.spawn { await self.stopped(id) }
        }
    }

    /// The task's deadline passed or its requester cancelled it: the application is told, and its
    /// answer is no longer waited for.
    private func stopped(_ id: String) async {
        guard let run = runs[id] else { return }
        let late = WallClock.nowMs() >= run.job.deadlineMs
        finish(id, .outcome(.failure(late
            ? TaskFailure(.timedOut, "the application serving '\(run.job.skill)' did not answer before the task's deadline")
            : TaskFailure(.cancelled, "the requester cancelled the task"))))
        await notify(.taskCancel, TaskCancelNotice(taskId: run.job.taskID.hex, requester: run.job.requester.hex, reason: late ? .deadline : .cancelled))
    }

    private func finish(_ id: String, _ answer: ProviderAnswer) {
        guard let run = runs[id] else { return }
        if let continuation = run.continuation {
            runs[id] = nil
            continuation.resume(returning: answer)
        } else {
            runs[id]?.early = answer  // `run` has not begun to wait: it takes this when it does
        }
    }

    /// A line that answers one of the node's requests.
    func answer(_ id: RPCID?, line: Data) async {
        guard case .string(let key)? = id, let run = runs[key], run.early == nil else {
            let shown = id.map(\.description) ?? "null"
            return await tellError(
                "answer for \(shown) ignored: this node sent no task.run with that ID on this connection, or it was already answered, cancelled or past its deadline",
                id: id)
        }
        let outcome: TaskOutcome
        switch Self.outcome(of: line, maxBytes: node.settings.maxTaskBytes) {
        case .success(let value):
            outcome = value
        case .failure(let problem):
            await tellError("bad answer for \"\(key)\": \(problem.message)", id: id)
            outcome = .failure(TaskFailure(.internal, "the application serving '\(run.job.skill)' sent a bad answer: \(problem.message)"))
        }
        finish(key, .outcome(outcome))
    }

    /// Progress the application reports for one of its tasks.
    func progress(_ params: TaskProgressParams) throws(RPCError) {
        let taskID = params.taskId.lowercased()
        let requester = params.requester?.lowercased()
        let matching = runs.values.filter { run in
            run.early == nil && run.job.taskID.hex == taskID && (requester.map { run.job.requester.hex == $0 } ?? true)
        }
        guard let run = matching.first else {
            throw RPCError(code: RPCError.invalidParams, message: "this connection is not running task \(params.taskId.prefix(64))")
        }
        guard matching.count == 1 else {
            throw RPCError(code: RPCError.invalidParams, message: "two requesters' tasks here have ID \(params.taskId); give \"requester\" too")
        }
        if let fraction = params.fraction, !(0...1).contains(fraction) {
            throw RPCError(code: RPCError.invalidParams, message: "fraction is \(fraction); use 0-1")
        }
        guard params.fraction != nil || params.message != nil else {
            throw RPCError(code: RPCError.invalidParams, message: "give a fraction, a message, or both")
        }
        run.job.onProgress(TaskProgress(stage: .progress, fraction: params.fraction, message: params.message))
    }

    // MARK: Answers

    struct BadAnswer: Error {
        var message: String
    }

    /// What the application's answer line says: an output, a failure, or what is wrong with it.
    static func outcome(of line: Data, maxBytes: Int) -> Result<TaskOutcome, BadAnswer> {
        let response: RPCResponse<TaskRunResult>
        do {
            response = try JSONDecoder().decode(RPCResponse<TaskRunResult>.self, from: line)
        } catch {
            return .failure(BadAnswer(message: "the result must be {\"output\": text} or {\"outputBase64\": base64}"))
        }
        if let error = response.error {
            let reason = error.data?.reason.flatMap(TaskFailure.Code.init(rawValue:))
            let code: TaskFailure.Code = switch reason {
            case .invalidInput?: .invalidInput
            case .internal?: .internal
            case .cancelled?: .cancelled
            default: .skillFailed
            }
            return .success(.failure(TaskFailure(code, String(error.message.prefix(1000)))))
        }
        guard let result = response.result else {
            return .failure(BadAnswer(message: "an answer needs \"result\" or \"error\""))
        }
        let output: [UInt8]
        switch (result.output, result.outputBase64) {
        case (let text?, nil): output = Array(text.utf8)
        case (nil, let base64?):
            guard let data = Data(base64Encoded: base64) else { return .failure(BadAnswer(message: "outputBase64 is not valid base64")) }
            output = Array(data)
        case (nil, nil): return .failure(BadAnswer(message: "the result has neither \"output\" nor \"outputBase64\""))
        case (_?, _?): return .failure(BadAnswer(message: "give \"output\" or \"outputBase64\", not both"))
        }
        guard output.count <= maxBytes else {
            return .failure(BadAnswer(message: "the output is \(output.count) bytes; this node takes at most \(maxBytes) (maxTaskBytes)"))
        }
        return .success(.success(output: output))
    }

    static func encode<T: Encodable>(_ value: T) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)) ?? Data(#"{"jsonrpc":"2.0","error":{"code":-32603,"message":"internal error"}}"#.utf8)
    }
}

/// The executor's handle on an application's connection (one per connection, whatever it serves).
final class AppProvider: TaskProvider {
    private let connection: LocalAPIConnection

    init(_ connection: LocalAPIConnection) { self.connection = connection }

    func run(_ job: SkillJob) async -> ProviderAnswer { await connection.run(job) }
}
