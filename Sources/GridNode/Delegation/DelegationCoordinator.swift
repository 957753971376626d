import Foundation
import GridCore
import GridCrypto
import GridStore
import GridWire
import Logging

/// Runs each submitted task's ``DelegationMachine``s — one per replica — feeds them acks, results,
/// lost peers and deadlines, and carries out what they decide: run here, send to a peer, record
/// experience, reply. A replicated task is settled by a ``ResultVote``, with tie-breaker runs when
/// its replicas disagree; a single remote result may be verified by one more run on another node
/// (``VerificationPolicy``, DelegationCoordinator+Verification.swift). A task that no node has room
/// for waits in the ``PlacementQueue`` until one has (DelegationCoordinator+Placement.swift).
actor DelegationCoordinator {
    /// How a task ended, and who produced the outcome.
    struct Completion: Sendable {
        var outcome: TaskOutcome
        var executor: NodeID?
    }

    struct Inflight {
        var task: TaskSpec
        /// When the application submitted it, for the end-to-end latency.
        var submittedAt: ContinuousClock.Instant = .now
        /// One machine per replica (one for an ordinary task).
        var replicas: [DelegationMachine]
        var vote: ResultVote?
        /// The provider on probation whose result this check holds back from more work.
        var probation: Experience.Key?
        /// A remote result being weighed (``DelegationCoordinator/decideCheck(_:executor:digest:confirmations:deterministic:pinned:)``)
        /// or held until its check settles, not yet given to the application.
        var weighing: Completion?
        /// Each executor's result as it arrived, signed: the evidence if it turns out wrong.
        var signedResults: [NodeID: Grid_V1_SignedEnvelope] = [:]
        /// The signed TaskRequest sent to each peer (the last one), which its result answers.
        var sentRequests: [NodeID: SealedClaim] = [:]
        /// Who waits for the outcome, by a number from `nextWaiter` (so a waiter can leave).
        var waiters: [Int: CheckedContinuation<Completion?, Never>] = [:]
        /// The outcome given to the application. A replicated task stays in flight after it, until
        /// its last replica answers, so a late replica that disagrees is still caught.
        var delivered: Completion?
        /// The digest the replicas' majority agreed on.
        var settledDigest: [UInt8]?
        var deadlineTimer: NodeTasks.Handle?
        /// Every replica's ack and retry timers (a stale one is ignored by its machine).
        var timers: [NodeTasks.Handle] = []
        /// The local run, cancelled if the task ends another way (its deadline passes).
        var localRun: NodeTasks.Handle?
        /// A task resumed after a restart waits until then for a node that serves its skill to
        /// come back (peers reconnecting), instead of failing at once as having no provider.
        var waitForProvidersUntil: ContinuousClock.Instant?
        /// The task's own deadline: a follower of an identical cacheable task keeps it, to end on
        /// time or to start with it on its own.
        var deadline: ContinuousClock.Instant?

        /// Whether the task still waits for providers that have not (re)appeared.
        func waitsForProviders(now: ContinuousClock.Instant) -> Bool {
            waitForProvidersUntil.map { now < $0 } ?? false
        }
    }

    let node: NodeContext
    var inflight: [TaskID: Inflight] = [:]
    /// The last send to each peer: each new send waits for it, so a TaskCancel can never overtake
    /// the TaskRequest it cancels.
    var sendChains: [NodeID: NodeTasks.Handle] = [:]
    /// Which results to verify, and how many tie-breakers a disagreement may take.
    let verification: VerificationPolicy
    var verificationRNG = SystemRandomNumberGenerator()
    /// When routing tries a novice provider instead of the best-ranked node.
    var exploration: ExplorationBudget
    /// Providers' standing as last learnt from the reputation, and the providers held out of a
    /// skill's ordinary work while a check of them is weighed or a conviction recorded.
    var standing: StandingLedger
    /// Seeds each machine's backoff jitter.
    var rng = SystemRandomNumberGenerator()
    /// Per-peer circuit breakers and in-flight windows, fed by every attempt's outcome.
    var breakers: CircuitBreakers
    var flow: PeerFlow
    struct ReplicaKey: Hashable {
        var id: TaskID
        var replica: Int
    }
    /// Results of cacheable tasks, and the identical tasks running as one (leaders and followers).
    var cache: ResultCache
    var joins = CacheJoins()
    /// Task counts and latencies for `node.metrics`, the Prometheus endpoint and the snapshot file.
    var metrics = NodeMetrics()
    let startedAt = ContinuousClock.now
    /// The last progress report taken from the executor of each replica: older ones are dropped.
    var progressSeen: [ReplicaKey: UInt32] = [:]
    /// The peer each replica's request is with, and when it was sent.
    var holding: [ReplicaKey: (peer: NodeID, sentAt: ContinuousClock.Instant)] = [:]
    /// Tasks `submit` has recorded but not yet put in flight (it is routing them), with the
    /// callers of ``completion(of:)`` waiting for that.
    var admitting: [TaskID: [CheckedContinuation<Void, Never>]] = [:]
    var nextWaiter = 0
    /// This node's own tasks waiting for a node with room, and whether a placement pass is due or
    /// running (one at a time; events during one ask for another).
    var placement: PlacementQueue
    var placementScheduled = false
    var placing = false
    var placeAgain = false
    /// Set by a graceful stop (DelegationCoordinator+Drain.swift): no new placements or retries
    /// while the running work finishes, and, once handed back, no outcome is recorded (the tasks
    /// stay journaled for the next start).
    var draining = false
    var handedBack = false

    init(node: NodeContext) {
        self.node = node
        breakers = Self.restoredBreakers(node)
        flow = PeerFlow()
        placement = PlacementQueue(settings: .init(queue: node.settings.queueSettings))
        cache = ResultCache(window: .milliseconds(node.settings.resultCacheWindowMs))
        verification = node.settings.verificationPolicy
        standing = StandingLedger(localNode: node.nodeID, policy: node.settings.verificationPolicy)
        exploration = ExplorationBudget(share: node.settings.explorationShare)
    }

    /// The node's task metrics now, with the queue depth per priority and the tasks in flight per peer.
    func metricsSnapshot() async -> MetricsSnapshot {
        var depth: [TaskPriority: Int] = [:]
        for priority in TaskPriority.allCases { depth[priority] = node.executor.waiting(priority) }
        metrics.setQueueDepth(depth)
        metrics.setInFlight(flow.inFlight)
        return metrics.snapshot(uptime: startedAt.duration(to: .now))
    }

    /// Open circuits, tasks in flight and full windows, for the router.
    /// `skill`'s providers on probation are held out of ordinary placements, never out of checks
    /// and tie-breakers (`extraRun`): two new providers must be able to check each other.
    func flowState(skill: SkillID? = nil, extraRun: Bool = false) -> FlowState {
        let awaiting = extraRun ? [] : skill.map { standing.held(skill: $0) } ?? []
        return FlowState(
            circuitOpen: breakers.openPeers(now: .now), inFlight: flow.inFlight, windowFull: flow.full(now: .now),
            awaitingVerification: awaiting)
    }

    /// Accepts `spec`: recorded in the store before any work starts, then routed and started.
    /// Throws when the task could not be recorded, or when this node already holds as many tasks
    /// of its priority waiting for capacity as its bound allows (it is then not accepted). With
    /// `idempotency` whose key is on record already, nothing starts: the task holding the key is
    /// returned instead.
    @discardableResult
    func submit(_ spec: TaskSpec, idempotency: IdempotencyClaim? = nil) async throws(GridError) -> TaskRecord? {
        if let full = placement.refusal(for: TaskPriority(level: spec.priority)) { throw GridError(.queueFull, full) }
        if case .existing(let task) = try await node.journal.submit(spec, idempotency: idempotency, atMs: WallClock.nowMs()) {
            return task
        }
        admitting[spec.id] = []
        defer { admitted(spec.id) }
        await start(spec)
        return nil
    }

    /// Routes and starts a recorded task. A task resumed after a restart passes its own `deadline`
    /// (from its submission) and how long it may wait for providers to reappear.
    /// `counted` is false for a follower of a cacheable task started on its own after its leader
    /// ended for a reason of its own (it was counted and announced when it arrived).
    func start(
        _ spec: TaskSpec, deadline: ContinuousClock.Instant? = nil, waitForProvidersUntil: ContinuousClock.Instant? = nil,
        counted: Bool = true
    ) async {
        let deadline = deadline ?? ContinuousClock.now.advanced(by: spec.timeout)
        if counted {
            metrics.submitted(skill: spec.skill)
            emit(spec.id, .submitted, node: node.nodeID)
        }
        if spec.cacheable {
            let key = Self.cacheKey(spec)
            if let hit = cache.lookup(key, now: .now) {
                begin(spec.id, Inflight(task: spec, replicas: []))
                return complete(spec.id, .success(output: hit.output), executor: hit.executor)
            }
            if case .follow = joins.arrive(spec.id, key: key) {
                begin(spec.id, Inflight(task: spec, replicas: [], deadline: deadline))  // joins the identical task under way
                inflight[spec.id]?.deadlineTimer = node.tasks.spawnHandle { [weak self] in
                    guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
                    await self?.followerDeadlinePassed(spec.id)
                }
                return
            }
        }
        let route = await node.route(spec.skill, minimumTrust: spec.minimumTrust, flow: flowState(skill: spec.skill), explore: exploration.next())
        if route.explored != nil { exploration.explored() }
        let ranked = route.nodes
        let waitable = Self.busyProviders(route)
        let waitsForProviders = waitForProvidersUntil.map { ContinuousClock.now < $0 } ?? false
        if ranked.isEmpty, waitable.isEmpty, !waitsForProviders, let failure = Self.heldBackFailure(spec, route) {
            begin(spec.id, Inflight(task: spec, replicas: []))
            complete(spec.id, .failure(failure), executor: nil)
            return
        }
        let k = Self.runs(of: spec)
        if !waitsForProviders, let failure = ReplicaPlan.shortfall(replicas: k, skill: spec.skill, ranked: ranked.count, waiting: waitable.count) {
            begin(spec.id, Inflight(task: spec, replicas: []))
            complete(spec.id, .failure(failure), executor: nil)
            return
        }
        var machines: [DelegationMachine] = []
        var starts: [[DelegationMachine.Directive]] = []
        for candidates in ReplicaPlan.candidates(ranked: ranked, replicas: k) {
            var machine = DelegationMachine(task: spec, localNode: node.nodeID, policy: node.settings.retryPolicy, seed: rng.next())
            starts.append(machine.start(
                candidates: candidates, providersBusy: !waitable.isEmpty || waitsForProviders, deadline: deadline, ackTimeouts: flow.ackTimeouts,
                resultTimeouts: flow.resultTimeouts(skill: spec.skill), now: .now))
            machines.append(machine)
        }
        begin(spec.id, Inflight(
            task: spec, replicas: machines, vote: k > 1 ? Self.initialVote(spec, runs: k, verification: verification, localNode: node.nodeID) : nil,
            waitForProvidersUntil: waitForProvidersUntil,
            deadline: deadline))
        for (replica, directives) in starts.enumerated() {
            perform(directives, for: spec.id, replica: replica)
        }
    }

    /// Puts `entry` in flight. A task started again (a follower on its own) keeps its waiters and
    /// its submission time.
    private func begin(_ id: TaskID, _ entry: Inflight) {
        var entry = entry
        if let earlier = inflight[id] {
            entry.waiters = earlier.waiters
            entry.submittedAt = earlier.submittedAt
            earlier.deadlineTimer?.cancel()
        }
        inflight[id] = entry
    }

    static func cacheKey(_ spec: TaskSpec) -> ResultCache.Key {
        ResultCache.Key(skill: spec.skill, inputDigest: SHA256.digest(spec.input))
    }

    /// When no node may ever take the task although some serve its skill (too little trust, a
    /// conviction), says why instead of "no node serves it".
    static func heldBackFailure(_ spec: TaskSpec, _ route: Route) -> TaskFailure? {
        let providers = route.excluded.filter { $0.reason != .lacksSkill }
        guard !providers.isEmpty else { return nil }
        let reasons = providers.map { "\($0.isLocal ? "this node" : $0.node.short): \($0.reason)" }.joined(separator: "; ")
        return TaskFailure(.allCandidatesFailed, "no node may take a '\(spec.skill)' task (\(reasons)); lower the task's minimum trust, or add providers")
    }

    func ackReceived(_ ack: Grid_V1_TaskAck, from peer: NodeID) {
        guard let id = try? TaskID(bytes: Array(ack.taskID)) else { return }
        if let replica = inflight[id]?.replicas.firstIndex(where: { $0.state == .awaitingAck(peer) }),
            let sent = holding[ReplicaKey(id: id, replica: replica)], sent.peer == peer
        {
            flow.acked(by: peer, after: sent.sentAt.duration(to: .now))
        }
        if ack.accepted, let replica = inflight[id]?.replicas.firstIndex(where: { $0.state == .awaitingAck(peer) }) {
            emit(id, .accepted, node: peer, attempt: currentAttempt(id, replica: replica), queuePosition: Int(ack.queuePosition))
        }
        let refusal = ack.refusal
        update(id, awaiting: peer) { $0.ackReceived(from: peer, refusal: refusal, now: .now) }
    }

    func resultReceived(_ result: Grid_V1_TaskResult, signed envelope: Grid_V1_SignedEnvelope, from peer: NodeID) {
        guard let id = try? TaskID(bytes: Array(result.taskID)), let entry = inflight[id] else { return }
        if let replica = entry.replicas.firstIndex(where: { $0.state == .awaitingResult(peer) || $0.state == .awaitingAck(peer) }),
            let sent = holding[ReplicaKey(id: id, replica: replica)], sent.peer == peer
        {
            flow.resulted(by: peer, skill: entry.task.skill, after: sent.sentAt.duration(to: .now))
        }
        if inflight[id]?.signedResults[peer] == nil { inflight[id]?.signedResults[peer] = envelope }
        update(id, awaiting: peer) { $0.resultReceived(from: peer, result.taskOutcome, now: .now) }
    }

    /// A peer's connection closed: every task waiting on it moves on.
    func peerLost(_ peer: NodeID) {
        sendChains[peer] = nil
        for id in Array(inflight.keys) {
            updateAll(id) { $0.peerLost(peer, now: .now) }
        }
    }

    func localCompleted(_ id: TaskID, _ outcome: TaskOutcome) {
        guard let replica = inflight[id]?.replicas.firstIndex(where: { $0.state == .runningLocally }) else { return }
        if case .success(let output) = outcome, let task = inflight[id]?.task {
            inflight[id]?.signedResults[node.nodeID] = try? node.sealer.envelope(TaskResultEvidence.ownResult(task, output: output))
        }
        update(id, replica: replica) { $0.localCompleted(outcome, now: .now) }
        schedulePlacement()  // a local slot is free
    }

    func timerFired(_ id: TaskID, replica: Int, _ timer: DelegationMachine.Timer) {
        if timer == .deadline {
            updateAll(id) { $0.timerFired(.deadline, now: .now) }
        } else {
            update(id, replica: replica) { $0.timerFired(timer, now: .now) }
        }
    }

    /// A fresh ranking for a replica that is retrying or waiting for capacity. A replicated task's
    /// replica never goes to a node another of its replicas is on or was on.
    func routed(_ id: TaskID, replica: Int, _ route: Route) {
        if route.explored != nil { exploration.explored() }
        guard let skill = inflight[id]?.task.skill else { return }
        let acks = flow.ackTimeouts
        let results = flow.resultTimeouts(skill: skill)
        let siblings = siblingNodes(id, replica: replica)
        let candidates = route.nodes.filter { !siblings.contains($0) }
        let busy = !Self.busyProviders(route).subtracting(siblings).isEmpty || inflight[id]?.waitsForProviders(now: .now) == true
        update(id, replica: replica) { $0.routed(candidates, providersBusy: busy, ackTimeouts: acks, resultTimeouts: results, now: .now) }
    }

    /// The application cancelled the task: its machines stop, a peer holding it is told, and the
    /// task ends as `cancelled`. False when the task is not in flight here.
    func cancel(_ id: TaskID) -> Bool {
        guard let entry = inflight[id], entry.delivered == nil else { return false }
        if entry.replicas.isEmpty {
            // Waiting on an identical cacheable task: leave it, which runs on for the others.
            joins.leave(id)
            complete(id, .failure(TaskFailure(.cancelled, "task \(id) was cancelled by the application")), executor: nil)
        } else if entry.vote == nil {
            updateAll(id) { $0.cancel(now: .now) }
        } else {
            // Every replica stops; the vote is not asked (it would count them as failures).
            stopUnfinishedReplicas(id, reason: "the application cancelled the task")
            complete(id, .failure(TaskFailure(.cancelled, "task \(id) was cancelled by the application")), executor: nil)
        }
        return true
    }

    func sendFailed(_ id: TaskID, to peer: NodeID) {
        update(id, awaiting: peer) { $0.peerLost(peer, now: .now) }
    }

    // MARK: Feeding the machines

    /// Feeds the replica waiting on `peer`.
    func update(_ id: TaskID, awaiting peer: NodeID, _ event: (inout DelegationMachine) -> [DelegationMachine.Directive]) {
        guard let replica = inflight[id]?.replicas.firstIndex(where: { $0.state == .awaitingAck(peer) || $0.state == .awaitingResult(peer) })
        else { return }  // finished already, or not ours: duplicates are ignored
        update(id, replica: replica, event)
    }

    func updateAll(_ id: TaskID, _ event: (inout DelegationMachine) -> [DelegationMachine.Directive]) {
        guard let count = inflight[id]?.replicas.count else { return }
        for replica in 0..<count {
            update(id, replica: replica, event)
        }
    }

    func update(_ id: TaskID, replica: Int, _ event: (inout DelegationMachine) -> [DelegationMachine.Directive]) {
        guard var entry = inflight[id], entry.replicas.indices.contains(replica) else { return }
        let directives = event(&entry.replicas[replica])
        inflight[id] = entry
        // A request that is no longer with its peer frees a place in the peer's window.
        let key = ReplicaKey(id: id, replica: replica)
        if let held = holding[key], entry.replicas[replica].state != .awaitingAck(held.peer),
            entry.replicas[replica].state != .awaitingResult(held.peer)
        {
            holding[key] = nil
            flow.ended(on: held.peer)
            schedulePlacement()  // a place in its window is free
        }
        perform(directives, for: id, replica: replica)
    }

    func perform(_ directives: [DelegationMachine.Directive], for id: TaskID, replica: Int) {
        guard let task = inflight[id]?.task else { return }
        for directive in directives {
            switch directive {
            case .executeLocally:
                metrics.executedLocally(skill: task.skill)
                let executor = node.executor
                // The place is taken here, in the coordinator's order, so tasks of one class queue
                // first in first out; waiting and running happen in the task.
                let reservation = executor.reserve(skill: task.skill, priority: task.priority)
                let job = localJob(task, replica: replica)
                if case .waiting = reservation { emit(id, .queued, node: node.nodeID, attempt: currentAttempt(id, replica: replica)) }
                inflight[id]?.localRun = node.tasks.spawnHandle { [weak self] in
                    let outcome = await executor.run(job, reservation)
                    await self?.localCompleted(id, outcome)
                }
            case .sendRequest(let peer, let deadline):
                metrics.delegated(skill: task.skill, peer: peer)
                emit(id, .sent, node: peer, attempt: currentAttempt(id, replica: replica))
                holding[ReplicaKey(id: id, replica: replica)] = (peer, .now)
                progressSeen[ReplicaKey(id: id, replica: replica)] = nil  // the new executor numbers its reports from 1
                flow.sent(to: peer)
                breakers.sent(to: peer, now: .now)
                send(task, to: peer, deadline: deadline)
            case .cancelRemote(let peer, let reason):
                cancel(task, on: peer, reason: reason)
            case .scheduleTimer(.deadline, let instant):
                guard inflight[id]?.deadlineTimer == nil else { continue }  // the replicas share one deadline
                inflight[id]?.deadlineTimer = node.tasks.spawnHandle { [weak self] in
                    guard (try? await Task.sleep(until: instant, clock: .continuous)) != nil else { return }
                    await self?.timerFired(id, replica: replica, .deadline)
                }
            case .scheduleTimer(let timer, let instant):
                if case .retry = timer {
                    let last = inflight[id]?.replicas[replica].attempts.last
                    let failedOn = last?.node
                    metrics.retried(skill: task.skill, peer: failedOn == node.nodeID ? nil : failedOn)
                    emit(id, .retrying, node: failedOn, attempt: inflight[id]?.replicas[replica].attempts.count, message: last?.result)
                }
                inflight[id]?.timers.append(node.tasks.spawnHandle { [weak self] in
                    guard (try? await Task.sleep(until: instant, clock: .continuous)) != nil else { return }
                    await self?.timerFired(id, replica: replica, timer)
                })
            case .route:
                guard !draining else { continue }  // retried after the next start
                let node = node
                // An extra run (a check, a tie-breaker) wants a node that vouches for the skill's
                // determinism, not a novice.
                let extra = isExtraRun(id, replica: replica)
                let state = flowState(skill: task.skill, extraRun: extra)
                let explore = extra ? false : exploration.next()
                node.tasks.spawn { [weak self] in
                    let route = await node.route(
                        task.skill, minimumTrust: task.minimumTrust, flow: state, explore: explore, deterministicOnly: extra)
                    await self?.routed(id, replica: replica, route)
                }
            case .recordExperience(let peer, let outcome, let latency):
                if outcome == .refusal, peer != node.nodeID { metrics.refused(skill: task.skill, peer: peer) }
                if peer != node.nodeID {
                    breakers.record(outcome, peer: peer, now: .now)
                    flow.record(outcome, peer: peer)
                }
                let reputation = node.reputation
                node.tasks.spawn { await reputation.record(outcome, node: peer, skill: task.skill, latency: latency) }
            case .complete(let outcome, let executor):
                replicaCompleted(id, outcome, executor: executor)
            case .peerBusy(let peer):
                if peer != node.nodeID { flow.refusedBusy(by: peer, now: .now) }
            case .awaitCapacity:
                park(id, replica: replica)
            }
        }
    }
}
