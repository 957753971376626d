import Foundation
import GridCore
import GridCrypto
import GridWire
import Logging

/// The receiving side: answers each TaskRequest from a peer with a signed TaskAck, runs what it
/// accepts under the requester's deadline, sends back a signed TaskResult, and stops a task its
/// requester cancels.
actor TaskServer {
    let node: NodeContext
    private var admission: AdmissionControl
    /// What each peer's request means now (repeats, cancels, starts, a stop): the policy.
    private var ledger = RequestLedger()
    /// The run of each accepted task, to cancel it or wait for it.
    private var runs: [RunningKey: NodeTasks.Handle] = [:]
    /// The progress of each task running for a peer, bounded in rate (``ProgressThrottle``), and
    /// where to send it.
    var progress: [RunningKey: ProgressStream] = [:]

    struct ProgressStream {
        var throttle = ProgressThrottle(settings: .init(interval: ProgressThrottle.Settings.default.interval, maxTasks: 1))
        var digest: Data
        var session: PeerSession
        var timerSet = false
    }

    typealias RunningKey = RequestLedger.Key

    init(node: NodeContext) {
        self.node = node
        admission = AdmissionControl(settings: node.settings.admissionSettings)
    }

    /// - Parameter payload: the request's payload bytes, as signed (the result names their digest).
    func received(_ request: Grid_V1_TaskRequest, payload: [UInt8], from session: PeerSession) async {
        guard let taskID = try? TaskID(bytes: Array(request.taskID)) else {
            return await reply(session, ack: .rejected(request.taskID, .invalid, "task_id must be 16 bytes"))
        }
        let key = RunningKey(requester: session.peer, task: taskID)
        node.logger.debug("task \(taskID) (\(request.skill.prefix(64))) requested by \(session.peer.short), deadline \(request.deadlineMs) ms")
        switch ledger.arrived(key) {
        case .ackAgain:
            // A repeat of a task already accepted here: confirm it again, run it once.
            return await reply(session, ack: .accepted(request.taskID, queuePosition: 0))
        case .ignore:
            return  // a repeat while the first is being admitted: the first one's ack answers both
        case .admit:
            break  // claimed before the first suspension, so a repeat is not admitted twice
        }
        func refuse(_ reason: Grid_V1_RejectReason, _ why: String) async {
            ledger.refused(key)
            await reply(session, ack: .rejected(request.taskID, reason, why))
        }
        guard !node.isStopping else { return await refuse(.busy, "this node is shutting down; send the task to another node") }
        guard let skill = try? SkillID(request.skill), node.localSkills.contains(skill) else {
            return await refuse(.unknownSkill, "this node does not serve skill '\(request.skill.prefix(64))'")
        }
        guard request.input.count <= node.settings.maxTaskBytes else {
            return await refuse(.tooLarge, "input is \(request.input.count) bytes; this node accepts at most \(node.settings.maxTaskBytes)")
        }
        guard request.deadlineMs > 0 else { return await refuse(.expired, "the task's deadline had passed when it arrived") }
        let trust = await node.reputation.trustScore(of: session.peer)
        let places = node.executor.capacity + node.executor.maxQueued
        switch admission.admit(session.peer, trust: trust, places: places, now: .now) {
        case .untrusted(let why)?: return await refuse(.untrusted, why)
        case .busy(let why)?: return await refuse(.busy, why)
        case nil: break
        }
        // The place is taken now, before the ack: an accepted task never meets a full queue later.
        let reservation = node.executor.reserve(skill: skill, priority: UInt8(clamping: request.priority))
        if case .refused(let failure) = reservation {
            admission.finished(session.peer)
            return await refuse(failure.code == .noProvider ? .unknownSkill : .busy, failure.message)
        }
        await reply(session, ack: .accepted(request.taskID, queuePosition: node.executor.queuePosition(reservation, skill: skill)))
        if ledger.admitted(key) == .answerCancelled {
            node.executor.abandon(reservation, skill: skill)
            return await finished(
                key, taskID: request.taskID, digest: Data(SHA256.digest(payload)),
                outcome: .failure(TaskFailure(.cancelled, "the requester cancelled the task")), took: .zero, via: session)
        }
        let deadline = Duration.milliseconds(Int64(min(request.deadlineMs, UInt32(node.settings.maxTaskTimeoutMs))))
        let input = Array(request.input)
        let digest = Data(SHA256.digest(payload))
        progress[key] = ProgressStream(digest: digest, session: session)
        let job = SkillJob(
            taskID: taskID, skill: skill, input: input, priority: UInt8(clamping: request.priority), requester: session.peer,
            deadlineMs: WallClock.nowMs() + Int64(deadline.nanoseconds / 1_000_000),
            onStart: { [node] in
                node.tasks.spawn {
                    await self.markStarted(key)
                    await self.report(TaskProgress(stage: .started, fraction: nil, message: nil), for: key)
                }
            },
            onProgress: { [node] report in node.tasks.spawn { await self.report(report, for: key) } })
        runs[key] = node.tasks.spawnHandle { [node] in
            let started = ContinuousClock.now
            let outcome = await Self.run(job, reservation, within: deadline, on: node.executor)
            let took = started.duration(to: .now)
            // Sent from a task of its own: a cancelled task cannot write to the channel, and the
            // requester is owed its (cancelled) result all the same.
            await node.tasks.spawnHandle {
                await self.finished(key, taskID: request.taskID, digest: digest, outcome: outcome, took: took, via: session)
            }.wait()
        }
    }

    /// The requester no longer wants the task: stop it. Its result (cancelled) is still sent.
    func cancelled(_ cancel: Grid_V1_TaskCancel, by requester: NodeID) {
        guard let taskID = try? TaskID(bytes: Array(cancel.taskID)) else { return }
        let key = RunningKey(requester: requester, task: taskID)
        switch ledger.cancelled(key) {
        case .nothing:
            node.logger.debug("cancel of task \(taskID) from \(requester.short): not running here")
        case .stopRun:
            node.logger.info("task \(taskID) cancelled by \(requester.short): \(cancel.reason.prefix(200))")
            runs[key]?.cancel()
        case .stopBeforeItStarts:
            node.logger.info("task \(taskID) cancelled by \(requester.short) before it started: \(cancel.reason.prefix(200))")
        }
    }

    private func markStarted(_ key: RunningKey) {
        ledger.started(key)
    }

    private func finished(
        _ key: RunningKey, taskID: Data, digest: Data, outcome: TaskOutcome, took: Duration, via session: PeerSession
    ) async {
        runs[key] = nil
        var outcome = outcome
        if ledger.finished(key) == .handedBack {
            outcome = .failure(TaskFailure(.queueFull, "node \(node.nodeID.short) is shutting down and handed the task back; run it on another node"))
        }
        if var stream = progress.removeValue(forKey: key) {  // nothing about the task after its result
            if let last = stream.throttle.finish(key.task),
                let message = try? TaskProgressMessage(taskID: key.task, requestDigest: Array(stream.digest), progress: last.progress, sequence: last.sequence)
            {
                await send(message.wire, to: stream.session)  // its last state, just before the result
            }
        }
        admission.finished(key.requester)
        var result = Grid_V1_TaskResult()
        result.taskID = taskID
        result.requestDigest = digest
        result.executionTimeUs = UInt64(max(0, took.nanoseconds / 1000))
        switch outcome {
        case .success(let output) where output.count > node.settings.maxTaskBytes:
            result.error = .with {
                $0.code = .internal
                $0.message = "output is \(output.count) bytes; this node sends at most \(node.settings.maxTaskBytes)"
            }
        case .success(let output):
            result.output = Data(output)
        case .failure(let failure):
            result.error = .with {
                $0.code = failure.code.wireCode
                $0.message = failure.message
            }
        }
        await send(result, to: session)
    }

    // MARK: A graceful stop

    /// The node is stopping (it refuses new requests as busy, ``NodeContext/isStopping``): the
    /// tasks still waiting for a slot go back to their requesters at once, as busy, so they run
    /// elsewhere; running ones get the drain time to finish.
    func beginDrain() {
        for key in ledger.beginDrain() { runs[key]?.cancel() }
    }

    /// Tasks accepted for peers and not yet answered.
    var runningCount: Int { ledger.count }

    /// The drain time is over: every task still running goes back to its requester as busy, and
    /// this returns once each has been answered.
    func handBack() async -> Int {
        let left = ledger.handBackAll().compactMap { runs[$0] }
        for run in left { run.cancel() }
        for run in left { await run.wait() }
        return left.count
    }

    /// Runs the skill, giving up (and cancelling it) when `deadline` passes or the task is cancelled.
    private static func run(
        _ job: SkillJob, _ reservation: LocalExecutor.Reservation, within deadline: Duration, on executor: LocalExecutor
    ) async -> TaskOutcome {
        let outcome = await withTaskGroup(of: TaskOutcome?.self) { group in
            group.addTask { await executor.run(job, reservation) }
            group.addTask {
                try? await Task.sleep(for: deadline)
                return Task.isCancelled ? nil : .failure(TaskFailure(.timedOut, "the task ran past its deadline and was abandoned"))
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(TaskFailure(.internal, "the task ended without an outcome"))
        }
        return Task.isCancelled ? .failure(TaskFailure(.cancelled, "the requester cancelled the task")) : outcome
    }

    private func reply(_ session: PeerSession, ack: Grid_V1_TaskAck) async {
        if !ack.accepted {
            node.logger.info("refused task from \(session.peer.short): \(ack.message)")
        }
        await send(ack, to: session)
    }

    /// Sends over the peer's current connection (it may have been replaced since the request came).
    func send<M: WireMessage>(_ message: M, to session: PeerSession) async {
        let current = await node.peers.session(for: session.peer) ?? session
        do {
            try await current.send(node.sealed(message))
        } catch {
            node.logger.info("could not answer \(session.peer.short): \(error)")
        }
    }
}

extension Grid_V1_TaskAck {
    static func accepted(_ taskID: Data, queuePosition: Int) -> Grid_V1_TaskAck {
        var ack = Grid_V1_TaskAck()
        ack.taskID = taskID
        ack.accepted = true
        ack.queuePosition = UInt32(queuePosition)
        return ack
    }

    static func rejected(_ taskID: Data, _ reason: Grid_V1_RejectReason, _ message: String) -> Grid_V1_TaskAck {
        var ack = Grid_V1_TaskAck()
        ack.taskID = taskID
        ack.accepted = false
        ack.reason = reason
        ack.message = message
        return ack
    }
}
