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

    /// After an ordinary task's result is delivered: perhaps check it by one more run (the task
    /// stays in flight meanwhile), else retire it.
    func considerCheck(_ id: TaskID, _ outcome: TaskOutcome, executor: NodeID?) {
        guard case .success(let output) = outcome, let executor, executor != node.nodeID, let entry = inflight[id],
            entry.task.verify != .off, !entry.replicas.isEmpty, !draining, !handedBack
        else { return retire(id) }
        let node = node
        let skill = entry.task.skill
        let digest = SHA256.digest(output)
        // A provider that may be on probation is held back from more of this skill's work until the
        // decision (and the check): a new liar must not get a second task while its first is weighed.
        let key = Experience.Key(node: executor, skill: skill)
        if knownVerified[key, default: 0] < verification.probation { holdForProbation(id, key) }
        node.tasks.spawn { [weak self] in
            let verified = await node.reputation.verifiedCount(node: executor, skill: skill)
            let deterministic = await node.declaresDeterministic(skill, on: executor)
            await self?.decideCheck(id, executor: executor, digest: digest, verified: verified, deterministic: deterministic)
        }
    }

    func decideCheck(_ id: TaskID, executor: NodeID, digest: [UInt8], verified: Int, deterministic: Bool) {
        guard let entry = inflight[id], entry.delivered != nil, entry.vote == nil else { return }
        learnVerified(Experience.Key(node: executor, skill: entry.task.skill), verified)
        guard !draining, !handedBack,
            verification.shouldVerify(verified: verified, deterministic: deterministic, mode: entry.task.verify, using: &verificationRNG)
        else { return retire(id) }
        var vote = ResultVote.check(tieBreakers: verification.maxTieBreakers, trusted: node.nodeID)
        _ = vote.add(executor, digest: digest)
        inflight[id]?.vote = vote
        if verified >= verification.probation { releaseProbation(id) }
        metrics.verified(skill: entry.task.skill)
        node.logger.debug("task \(id): checking \(executor.short)'s result (\(verified) of its results confirmed so far)")
        startExtraRun(id)
    }

    /// What the coordinator knows of a provider's confirmed results (the reputation has the
    /// truth): enough to skip the probation hold for one past it.
    func learnVerified(_ key: Experience.Key, _ verified: Int) {
        if knownVerified.count >= 100_000, knownVerified[key] == nil { knownVerified.removeAll() }
        knownVerified[key] = verified
    }

    func holdForProbation(_ id: TaskID, _ key: Experience.Key) {
        guard inflight[id]?.probation == nil else { return }
        inflight[id]?.probation = key
        hold(key)
    }

    /// The provider of `id`'s result may take work again (it is past probation, or the check ended).
    func releaseProbation(_ id: TaskID) {
        guard let key = inflight[id]?.probation else { return }
        inflight[id]?.probation = nil
        release(key)
    }

    /// Holds `key`'s provider out of that skill's ordinary placements until ``release(_:)``.
    func hold(_ key: Experience.Key) {
        probationChecks[key, default: 0] += 1
    }

    func release(_ key: Experience.Key) {
        probationChecks[key, default: 1] -= 1
        if probationChecks[key] == 0 { probationChecks[key] = nil }
        schedulePlacement()
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
        let policy = verification
        node.tasks.spawn { [weak self] in
            let route = await node.route(task.skill, minimumTrust: task.minimumTrust, flow: state, deterministicOnly: true)
            let fresh = route.nodes.filter { !used.contains($0) }
            let verified = await node.reputation.verifiedCounts(of: fresh, skill: task.skill)
            let candidates = policy.verifierOrder(ranked: fresh, verified: verified, trusted: node.nodeID)
            await self?.extraRunRouted(id, candidates: candidates, route: route)
        }
    }

    func extraRunRouted(_ id: TaskID, candidates: [NodeID], route: Route) {
        guard let entry = inflight[id], let deadline = entry.deadline else { return }
        let used = usedNodes(id)
        let candidates = candidates.filter { !used.contains($0) }
        let busy = !Self.busyProviders(route).subtracting(used).isEmpty
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
    /// so it is checked less often from now on.
    func confirm(_ agreeing: [NodeID], task: TaskSpec) {
        guard agreeing.count >= 2 else { return }
        let reputation = node.reputation
        for peer in agreeing where peer != node.nodeID {
            let key = Experience.Key(node: peer, skill: task.skill)
            learnVerified(key, knownVerified[key, default: 0] + 1)
            node.tasks.spawn { await reputation.recordVerified(node: peer, skill: task.skill) }
        }
    }

    /// The check of a result already delivered is settled: confirmed, or proven wrong (its
    /// provider is convicted by ``convict(_:task:majority:signed:)``; the application has the
    /// wrong output, which the log and the `contradicted` counter say).
    func verdictOnDelivered(_ id: TaskID, _ delivered: Completion, digest: [UInt8], agreeing: [NodeID]) {
        guard let executor = delivered.executor, let task = inflight[id]?.task else { return }
        if agreeing.contains(executor) {
            node.logger.debug("task \(id): \(executor.short)'s result confirmed by \(agreeing.filter { $0 != executor }.map(\.short))")
        } else {
            metrics.contradicted(skill: task.skill)
            if task.cacheable, case .success(let wrong) = delivered.outcome {
                cache.discard(Self.cacheKey(task), ifOutput: wrong)  // identical tasks must not reuse it
            }
            node.logger.warning(
                "task \(id) (\(task.skill)): the result delivered from \(executor.short) was wrong: \(agreeing.count) other runs agree on \(Hex.encode(digest).prefix(16))…; \(executor.short) is convicted (gridnode peers evidence). Submit with verify: strict to get only verified results")
        }
    }
}
