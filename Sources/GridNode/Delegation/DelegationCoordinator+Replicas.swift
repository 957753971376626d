import Foundation
import GridCore
import GridCrypto
import GridWire

/// How a run's outcome settles its task: an ordinary task is delivered, or weighed first and
/// perhaps verified by one more run (DelegationCoordinator+Verification.swift); one with a vote —
/// replicas, a strict task, or a result under check — goes to the ``ResultVote``, which may ask
/// for tie-breakers.
/// Late dissenters and evidence are handled here.
extension DelegationCoordinator {
    func replicaCompleted(_ id: TaskID, _ outcome: TaskOutcome, executor: NodeID?) {
        guard var entry = inflight[id] else { return }
        guard var vote = entry.vote else { return considerCheck(id, outcome, executor: executor) }
        if let settled = entry.settledDigest {
            // The vote is decided; a late run that disagrees is caught all the same.
            if case .success(let output) = outcome, let executor, SHA256.digest(output) != settled,
                let majority = vote.votes[settled]?.first
            {
                convict([executor], task: entry.task, agreeing: vote.votes[settled] ?? [majority], in: entry)
            }
            return retireIfDone(id)
        }
        let decision: ResultVote.Decision
        switch outcome {
        case .success(let output):
            let voter = executor ?? node.nodeID
            decision = vote.add(voter, digest: SHA256.digest(output), anchor: standing.isAnchor(voter, skill: entry.task.skill))
        case .failure: decision = vote.addFailure(executor)
        }
        entry.vote = vote
        inflight[id] = entry
        settle(id, decision)
    }

    /// Carries out the vote's decision.
    func settle(_ id: TaskID, _ decision: ResultVote.Decision) {
        guard let entry = inflight[id], let vote = entry.vote else { return }
        switch decision {
        case .pending:
            return
        case .needsRun:
            guard !draining, !handedBack else {
                if entry.weighing != nil, vote.votes.count <= 1 { return endUnsettled(id, why: "the node is stopping") }
                return retireIfDone(id)
            }
            if let deadline = entry.deadline, deadline <= .now {
                return endUnsettled(id, why: "the task's deadline passed before its runs agreed")
            }
            inflight[id]?.vote?.addRun()
            metrics.tieBreaker(skill: entry.task.skill)
            let failed = vote.failed.count + vote.unassignedFailures
            let state = Self.split(vote.votes) + (failed == 0 ? "" : "; \(failed) failed")
            node.logger.info("task \(id): no output has the \(vote.quorum) agreeing runs it needs yet (\(state)); running a tie-breaker")
            startExtraRun(id)
        case .accepted(let digest, let agreeing, let dissenting):
            inflight[id]?.settledDigest = digest
            let settles = vote.settles(digest)
            confirm(agreeing, task: entry.task, anchored: settles)
            if settles {
                convict(dissenting, task: entry.task, agreeing: agreeing, in: entry)
            } else if !dissenting.isEmpty {
                node.logger.info(
                    "task \(id): \(agreeing.map(\.short)) agree against \(dissenting.map(\.short)), but none of them has standing here: nobody is convicted")
            }
            if let delivered = entry.delivered {
                verdictOnDelivered(id, delivered, digest: digest, agreeing: agreeing, convicted: settles)
            } else {
                let output = outputOf(agreeing[0], in: entry) ?? []
                node.logger.info(
                    "task \(id): \(agreeing.count) of \(vote.runs) runs agree on \(Hex.encode(digest).prefix(16))…")
                deliver(id, .success(output: output), executor: agreeing[0])
            }
            retireIfDone(id)
        case .noMajority:
            endUnsettled(id, why: "the runs cannot reach a majority")
        }
    }

    /// The vote of `id` ends without an accepted output. A result held for its check is delivered
    /// as it is when nothing contradicted it (the check only failed or could not finish); an
    /// undelivered task with a disagreement fails `no_quorum`; a check of a delivered result just
    /// ends, inconclusive.
    func endUnsettled(_ id: TaskID, why: String) {
        guard let entry = inflight[id], let vote = entry.vote else { return }
        stopUnfinishedReplicas(id, reason: why)
        let failed = vote.failed.count + vote.unassignedFailures
        if let weighing = entry.weighing, vote.votes.count <= 1 {
            node.logger.info(
                "task \(id): the check of \(weighing.executor?.short ?? "?")'s result did not finish (\(why); \(failed) failed); delivered unchecked")
            return deliverWeighed(id, weighing, retiring: true)
        }
        guard entry.delivered == nil else {
            node.logger.info("task \(id): its check was inconclusive (\(Self.split(vote.votes)); \(failed) failed)")
            return retire(id)
        }
        let failure = TaskFailure(
            .noQuorum,
            "no output of '\(entry.task.skill)' has the \(vote.quorum) agreeing runs it needs (\(Self.split(vote.votes))"
                + (failed == 0 ? "" : "; \(failed) failed") + "); retry, or ask for more replicas")
        complete(id, .failure(failure), executor: nil)
    }

    /// Each digest's first bytes and who produced it, for logs and messages.
    static func split(_ votes: [[UInt8]: [NodeID]]) -> String {
        votes.map { "\(Hex.encode($0.key).prefix(12))…: \($0.value.map(\.short).joined(separator: ","))" }.sorted().joined(separator: "; ")
    }

    /// Ends a delivered task once every run has finished and no check or tie-breaker is due.
    func retireIfDone(_ id: TaskID) {
        guard let entry = inflight[id], entry.delivered != nil, entry.replicas.allSatisfy({ $0.state == .finished }) else { return }
        if let vote = entry.vote, entry.settledDigest == nil, vote.outstanding > 0 { return }  // a run is being routed
        retire(id)
    }

    /// The output a replica's executor produced.
    func outputOf(_ executor: NodeID, in entry: Inflight) -> [UInt8]? {
        guard let envelope = entry.signedResults[executor], let verified = try? envelope.verify(),
            let result = try? verified.decode(Grid_V1_TaskResult.self), case .success(let output) = result.taskOutcome
        else { return nil }
        return output
    }

    /// Runs that disagreed with the accepted output: convicted (strong negative experience), the
    /// two signed results kept as evidence, and — when at least two runs agreed against it — the
    /// whole proof (``EvidenceProof``) stored and shared with the peers. A node that did not declare
    /// the skill deterministic is never convicted for a different output.
    func convict(_ dissenting: [NodeID], task: TaskSpec, agreeing: [NodeID], in entry: Inflight) {
        guard let majority = agreeing.first else { return }
        for peer in dissenting where peer != node.nodeID {
            let node = node
            let theirs = entry.signedResults[peer]
            let other = entry.signedResults[majority]
            let proof = EvidenceProof(task: task, accused: peer, agreeing: agreeing, signedResults: entry.signedResults,
                                      sentRequests: entry.sentRequests)
            // No more work for it until the conviction is on record (or found not to apply).
            let key = Experience.Key(node: peer, skill: task.skill)
            standing.hold(key)
            node.tasks.spawn { [weak self] in
                if await Self.recordConviction(of: peer, task: task, majority: majority, theirs: theirs, other: other, proof: proof, node: node) {
                    await self?.countConviction(task.skill)
                }
                await self?.release(key)
            }
        }
    }

    /// Convicts `peer` (when it declared the skill deterministic), keeps the two signed results,
    /// and stores and shares the whole proof when there is one. False when it was not convicted.
    private static func recordConviction(
        of peer: NodeID, task: TaskSpec, majority: NodeID, theirs: Grid_V1_SignedEnvelope?, other: Grid_V1_SignedEnvelope?,
        proof: EvidenceProof, node: NodeContext
    ) async -> Bool {
        guard await node.declaresDeterministic(task.skill, on: peer) else {
            node.logger.info("\(peer.short)'s output for task \(task.id) differs from the others, but it does not declare '\(task.skill)' deterministic: no conviction")
            return false
        }
        node.logger.warning("\(peer.short) returned a result for task \(task.id) that the agreeing runs contradict: convicted")
        await node.reputation.record(.wrongResult, node: peer, skill: task.skill, latency: nil)
        guard let theirs, let other else { return true }
        let shared = proof.build(node: node)
        TaskResultEvidence.store(
            node: node, against: peer, task: task, kind: majority == node.nodeID ? .spotCheck : .replicaVote, theirs: theirs,
            otherNode: majority, other: other, conviction: shared.flatMap { try? $0.serializedBytes() })
        if let shared { await node.evidence.share(shared) }
        return true
    }

    func countConviction(_ skill: SkillID) {
        metrics.convicted(skill: skill)
    }

    /// Stops the replicas still running once the vote is settled.
    func stopUnfinishedReplicas(_ id: TaskID, reason: String) {
        guard let entry = inflight[id] else { return }
        for machine in entry.replicas {
            switch machine.state {
            case .awaitingAck(let peer), .awaitingResult(let peer): cancel(entry.task, on: peer, reason: reason)
            case .runningLocally: entry.localRun?.cancel()
            case .idle, .retrying, .waitingForCapacity, .finished: break
            }
        }
    }
}
