import GridCore
import GridCrypto

/// Verification: a delivered remote result checked by one more run on another node, chosen by the
/// ``VerificationPolicy`` (often for providers with few confirmed results, rarely for long-trusted
/// ones), and the extra runs — checks and tie-breakers — that a ``ResultVote`` asks for.
extension DelegationCoordinator {
    /// How many runs a task starts with: its replicas, and at least two when it is strict.
    static func runs(of spec: TaskSpec) -> Int {
        spec.verify == .strict ? max(spec.replicas, 2) : spec.replicas
    }

    /// The vote of a task that starts with several runs. Unless the task turns checks off, an
    /// agreement of its runs without an anchor in it waits for one more run on an anchor, when
    /// routing finds one (``extraRunRouted(_:confirmations:pinned:route:)``): two colluders
    /// picked for a strict task do not settle it between them.
    static func initialVote(_ spec: TaskSpec, runs: Int, verification: VerificationPolicy, localNode: NodeID) -> ResultVote {
        var vote = ResultVote(replicas: runs, tieBreakers: verification.maxTieBreakers, trusted: localNode)
        vote.seeksAnchor = spec.verify != .off
        return vote
    }

    /// An ordinary task's result arrived: delivered at once, or — when it is a remote success —
    /// weighed first (``decideCheck(_:executor:digest:confirmations:deterministic:pinned:)``): perhaps
    /// checked by one more run, and held until that check settles while its provider is on
    /// probation. The task stays in flight meanwhile.
    func considerCheck(_ id: TaskID, _ outcome: TaskOutcome, executor: NodeID?) {
        guard case .success(let output) = outcome, let executor, executor != node.nodeID, let entry = inflight[id],
            entry.task.verify != .off, !entry.replicas.isEmpty, !draining, !handedBack
        else {
            deliver(id, outcome, executor: executor)
            return retire(id)
        }
        inflight[id]?.weighing = Completion(outcome: outcome, executor: executor)
        let node = node
        let skill = entry.task.skill
        let digest = SHA256.digest(output)
        // A provider that may be on probation is held back from more of this skill's work until the
        // decision (and the check): a new liar must not get a second task while its first is weighed.
        let key = Experience.Key(node: executor, skill: skill)
        if standing.mayBeOnProbation(key) { holdForProbation(id, key) }
        node.tasks.spawn { [weak self] in
            let (known, pinned) = await node.reputation.standing(of: [executor], skill: skill)
            let confirmations = known[executor] ?? .init()
            let deterministic = await node.declaresDeterministic(skill, on: executor)
            await self?.decideCheck(
                id, executor: executor, digest: digest, confirmations: confirmations, deterministic: deterministic, pinned: pinned)
        }
    }

    func decideCheck(
        _ id: TaskID, executor: NodeID, digest: [UInt8], confirmations: StandingLedger.Confirmations, deterministic: Bool, pinned: Set<NodeID>
    ) {
        guard let entry = inflight[id], let weighing = entry.weighing, entry.vote == nil else { return }
        let key = Experience.Key(node: executor, skill: entry.task.skill)
        let verified = confirmations.verified
        standing.learn(key, confirmations)
        standing.learnPinned(pinned)
        let hold = verification.holdsResult(verified: verified, deterministic: deterministic, mode: entry.task.verify)
        guard !draining, !handedBack,
            hold || verification.shouldVerify(verified: verified, deterministic: deterministic, mode: entry.task.verify, using: &verificationRNG)
        else { return deliverWeighed(id, weighing, retiring: true) }
        if !hold { deliverWeighed(id, weighing, retiring: false) }
        var vote = ResultVote.check(tieBreakers: verification.maxTieBreakers, trusted: node.nodeID)
        _ = vote.add(executor, digest: digest, anchor: standing.isAnchor(executor, skill: entry.task.skill))
        inflight[id]?.vote = vote
        if !standing.mayBeOnProbation(key) { releaseProbation(id) }
        metrics.verified(skill: entry.task.skill)
        node.logger.debug(
            "task \(id): checking \(executor.short)'s result (\(verified) of its results confirmed so far)\(hold ? "; held until the check settles" : "")")
        startExtraRun(id)
    }

    /// Gives the application the result that was being weighed.
    func deliverWeighed(_ id: TaskID, _ weighing: Completion, retiring: Bool) {
        inflight[id]?.weighing = nil
        deliver(id, weighing.outcome, executor: weighing.executor)
        if retiring { retire(id) }
    }

    func holdForProbation(_ id: TaskID, _ key: Experience.Key) {
        guard inflight[id]?.probation == nil else { return }
        inflight[id]?.probation = key
        standing.hold(key)
    }

    /// The provider of `id`'s result may take work again (it is past probation, or the check ended).
    func releaseProbation(_ id: TaskID) {
        guard let key = inflight[id]?.probation else { return }
        inflight[id]?.probation = nil
        release(key)
    }

    /// Releases one hold on `key`'s provider (``StandingLedger``); placements may use it again.
    func release(_ key: Experience.Key) {
        if standing.release(key) { schedulePlacement() }
    }

    /// Routes and starts one more run of `id` (a check or a tie-breaker) on a node none of its runs
    /// has used. The vote counts it already.
    func startExtraRun(_ id: TaskID) {
        guard let task = inflight[id]?.task else { return }
        if inflight[id]?.delivered == nil {
            emit(id, .verifying, message: "one more run to settle the result")
        }
        let node = node
        let state = flowState(skill: task.skill, extraRun: true)
        let used = usedNodes(id)
        node.tasks.spawn { [weak self] in
            let route = await node.route(task.skill, minimumTrust: task.minimumTrust, flow: state, deterministicOnly: true)
            let fresh = route.nodes.filter { !used.contains($0) }
            let (confirmations, pinned) = await node.reputation.standing(of: fresh, skill: task.skill)
            await self?.extraRunRouted(id, confirmations: confirmations, pinned: pinned, route: route)
        }
    }

    /// Starts the extra run as ``StandingLedger/extraRunPlan(route:used:skill:)`` says (this node,
    /// then anchors, then the most anchored confirmations). When no anchor has room the vote stops
    /// seeking one; when no node at all can run it, a result held for its check is delivered as it
    /// is (nothing could check it), and any other vote counts the run as failed.
    func extraRunRouted(_ id: TaskID, confirmations: [NodeID: StandingLedger.Confirmations], pinned: Set<NodeID>, route: Route) {
        guard let entry = inflight[id], let deadline = entry.deadline else { return }
        let skill = entry.task.skill
        standing.learnPinned(pinned)
        for (peer, known) in confirmations { standing.learn(Experience.Key(node: peer, skill: skill), known) }
        let plan = standing.extraRunPlan(route: route, used: usedNodes(id), skill: skill)
        let (candidates, busy) = (plan.candidates, plan.providersBusy)
        if let vote = inflight[id]?.vote {
            inflight[id]?.vote?.seeksAnchor = plan.seeksAnchor
            inflight[id]?.vote?.anchorsExist = vote.anchorsExist || plan.anchorsExist
            // The run was asked for an anchor, and there is none with room: what the vote has is
            // what it gets.
            if !plan.seeksAnchor, vote.seeksAnchor, let now = inflight[id]?.vote?.decision, case .accepted = now {
                return settle(id, now)
            }
        }
        if candidates.isEmpty, !busy, let weighing = entry.weighing, (entry.vote?.answered ?? 0) <= 1 {
            node.logger.info("task \(id): no other node can check \(weighing.executor?.short ?? "?")'s result; delivered unchecked")
            inflight[id]?.vote = nil
            return deliverWeighed(id, weighing, retiring: true)
        }
        var machine = DelegationMachine(task: entry.task, localNode: node.nodeID, policy: node.settings.retryPolicy, seed: rng.next())
        let directives = machine.start(
            candidates: candidates, providersBusy: busy, deadline: deadline, ackTimeouts: flow.ackTimeouts,
            resultTimeouts: flow.resultTimeouts(skill: entry.task.skill), now: .now)
        inflight[id]?.replicas.append(machine)
        perform(directives, for: id, replica: (inflight[id]?.replicas.count ?? 1) - 1)
    }

    /// Whether run `replica` of `id` is a check or a tie-breaker (beyond the runs it started with).
    func isExtraRun(_ id: TaskID, replica: Int) -> Bool {
        guard let entry = inflight[id], entry.vote != nil else { return false }
        return replica >= Self.runs(of: entry.task)
    }

    /// Every node any run of `id` is on or was tried on.
    func usedNodes(_ id: TaskID) -> Set<NodeID> {
        guard let entry = inflight[id] else { return [] }
        return nodes(of: entry.replicas).union(entry.vote?.voters ?? [])
    }

    /// Runs that agreed on the accepted output: each remote one's results are confirmed once more,
    /// so it is checked less often from now on; when the agreement was `anchored` it also counts
    /// towards the provider's standing (past probation, it anchors votes).
    func confirm(_ agreeing: [NodeID], task: TaskSpec, anchored: Bool) {
        guard agreeing.count >= 2 else { return }
        let reputation = node.reputation
        for peer in agreeing where peer != node.nodeID {
            standing.confirmed(Experience.Key(node: peer, skill: task.skill), anchored: anchored)
            node.tasks.spawn { await reputation.recordVerified(node: peer, skill: task.skill, anchored: anchored) }
        }
    }

    /// The check of a result already delivered is settled: confirmed, or proven wrong (its
    /// provider is convicted by ``convict(_:task:majority:signed:)``; the application has the
    /// wrong output, which the log and the `contradicted` counter say).
    func verdictOnDelivered(_ id: TaskID, _ delivered: Completion, digest: [UInt8], agreeing: [NodeID], convicted: Bool) {
        guard let executor = delivered.executor, let task = inflight[id]?.task else { return }
        if agreeing.contains(executor) {
            node.logger.debug("task \(id): \(executor.short)'s result confirmed by \(agreeing.filter { $0 != executor }.map(\.short))")
        } else {
            metrics.contradicted(skill: task.skill)
            if task.cacheable, case .success(let wrong) = delivered.outcome {
                cache.discard(Self.cacheKey(task), ifOutput: wrong)  // identical tasks must not reuse it
            }
            let verdict = convicted ? "\(executor.short) is convicted (gridnode peers evidence)" : "none of them has standing here, so nobody is convicted"
            node.logger.warning(
                "task \(id) (\(task.skill)): the result delivered from \(executor.short) was wrong: \(agreeing.count) other runs agree on \(Hex.encode(digest).prefix(16))…; \(verdict). Submit with verify: strict to get only verified results")
        }
    }
}
