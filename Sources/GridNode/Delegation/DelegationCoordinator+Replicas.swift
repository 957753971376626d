import Foundation
import GridCore
import GridCrypto
import GridWire

/// How a replica's outcome settles its task: an ordinary task is delivered (and perhaps spot-checked);
/// a replicated one goes to the vote, and late dissenters and evidence are handled here.
extension DelegationCoordinator {
    func replicaCompleted(_ id: TaskID, _ outcome: TaskOutcome, executor: NodeID?) {
        guard var entry = inflight[id] else { return }
        guard var vote = entry.vote else {
            if case .success(let output) = outcome, let executor, executor != node.nodeID,
                let envelope = entry.signedResults[executor]
            {
                let check = spotCheck
                let task = entry.task
                node.tasks.spawn { await check.offer(task, output: output, executor: executor, signed: envelope) }
            }
            return complete(id, outcome, executor: executor)
        }
        if let settled = entry.settledDigest {
            // The vote is decided; a late replica that disagrees is caught all the same.
            if case .success(let output) = outcome, let executor, SHA256.digest(output) != settled,
                let majority = vote.votes[settled]?.first
            {
                convict([executor], task: entry.task, majority: majority, signed: entry.signedResults)
            }
            return retireIfDone(id)
        }
        let decision: ResultVote.Decision
        switch outcome {
        case .success(let output): decision = vote.add(executor ?? node.nodeID, digest: SHA256.digest(output))
        case .failure: decision = vote.addFailure(executor)
        }
        entry.vote = vote
        inflight[id] = entry
        switch decision {
        case .pending:
            return
        case .accepted(let digest, let agreeing, let dissenting):
            convict(dissenting, task: entry.task, majority: agreeing[0], signed: entry.signedResults)
            let output = outputOf(agreeing[0], in: entry) ?? []
            node.logger.info(
                "task \(id): \(agreeing.count) of \(entry.task.replicas) replicas agree on \(Hex.encode(digest).prefix(16))…")
            inflight[id]?.settledDigest = digest
            deliver(id, .success(output: output), executor: agreeing[0])
            retireIfDone(id)
        case .noMajority(let votes, let failed):
            stopUnfinishedReplicas(id, reason: "the replicas cannot reach a majority")
            let split = votes.map { "\(Hex.encode($0.key).prefix(12))…: \($0.value.map(\.short).joined(separator: ","))" }.sorted()
            let failure = TaskFailure(
                .noQuorum,
                "no output of '\(entry.task.skill)' has a majority of \(entry.task.replicas) replicas (\(split.joined(separator: "; "))"
                    + (failed.isEmpty && vote.unassignedFailures == 0 ? "" : "; \(failed.count + vote.unassignedFailures) failed")
                    + "); retry, or ask for more replicas")
            complete(id, .failure(failure), executor: nil)
        }
    }

    /// Ends a delivered replicated task once every replica has finished.
    func retireIfDone(_ id: TaskID) {
        guard let entry = inflight[id], entry.delivered != nil, entry.replicas.allSatisfy({ $0.state == .finished }) else { return }
        retire(id)
    }

    /// The output a replica's executor produced.
    func outputOf(_ executor: NodeID, in entry: Inflight) -> [UInt8]? {
        guard let envelope = entry.signedResults[executor], let verified = try? envelope.verify(),
            let result = try? verified.decode(Grid_V1_TaskResult.self), case .success(let output) = result.taskOutcome
        else { return nil }
        return output
    }

    /// Replicas that disagreed with the majority: strong negative experience, and the two signed
    /// results kept as evidence.
    func convict(_ dissenting: [NodeID], task: TaskSpec, majority: NodeID, signed: [NodeID: Grid_V1_SignedEnvelope]) {
        for peer in dissenting where peer != node.nodeID {
            node.logger.warning("\(peer.short) returned a result for task \(task.id) that the replicas' majority contradicts")
            let reputation = node.reputation
            node.tasks.spawn { await reputation.record(.wrongResult, node: peer, skill: task.skill, latency: nil) }
            guard let theirs = signed[peer], let other = signed[majority] else { continue }
            TaskResultEvidence.store(
                node: node, against: peer, task: task, kind: .replicaVote, theirs: theirs, otherNode: majority, other: other)
        }
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
