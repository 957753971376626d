import Foundation
import GridCore
import GridStore
import GridWire

/// What ``EvidenceGossip`` does once it has judged: convictions, re-runs, sends.
extension EvidenceGossip {
    /// Convicts the accused of `evidence` and keeps the proof: the accused's signed result, the
    /// first witness's, and the whole evidence to pass on.
    func convictAccused(_ evidence: ConvictionEvidenceMessage) async {
        counts.convicted += 1
        await reputation.record(.wrongResult, node: evidence.accusedNode, skill: evidence.skill, latency: nil)
        let witness = evidence.witnesses[0]
        store(
            against: evidence.accusedNode, evidence, kind: .shared, theirs: evidence.accused.signed.result, otherNode: witness.executor,
            other: witness.signed.result, conviction: try? evidence.wire.serializedBytes())
    }

    /// Runs the evidence's task here once, at low priority, and convicts whoever disagrees with
    /// this node's own output (``EvidenceJudge/settle(_:accusedOutput:witnessOutput:ownOutput:)``).
    /// A run that fails or times out settles nothing: the evidence is forgotten, so a later copy
    /// may be judged again.
    func rerun(_ evidence: ConvictionEvidenceMessage, _ judged: EvidenceJudge.Case, key: Key, from sender: NodeID) async {
        defer { pendingReruns -= 1 }
        // The runs had as long as their requests allowed; so does this one, within this node's bound.
        let allowedMs = ([evidence.accused] + evidence.witnesses).map { Int($0.request.deadlineMs) }.max() ?? 0
        let timeoutMs = min(max(allowedMs, 1_000), settings.maxTaskTimeoutMs)
        let job = SkillJob(
            taskID: evidence.taskID, skill: evidence.skill, input: evidence.input, priority: TaskPriority.low.defaultLevel, requester: localNode,
            deadlineMs: WallClock.nowMs() + Int64(timeoutMs))
        guard case .success(let own) = await Self.run(job, within: .milliseconds(timeoutMs), on: executor) else {
            forget(key)
            return logger.info("evidence against \(key.accused.short) for task \(key.task): this node's own run failed; nothing settled")
        }
        let settlement = EvidenceJudge.settle(judged, accusedOutput: evidence.accused.output, witnessOutput: evidence.witnessOutput, ownOutput: own)
        let ours = try? sealer.envelope(Grid_V1_SignedRun.result(answering: evidence.accused.signed.request, output: own))
        for node in settlement.convicted {
            if node == evidence.accusedNode {
                logger.warning("convicted \(node.short) of a wrong result for task \(evidence.taskID) (\(evidence.skill)): this node's own run agrees with the witnesses")
                await convictAccused(evidence)
            } else if let witness = evidence.witnesses.first(where: { $0.executor == node }) {
                logger.warning(
                    "convicted witness \(node.short) of a wrong result for task \(evidence.taskID) (\(evidence.skill)): this node's own run contradicts it")
                counts.convicted += 1
                await reputation.record(.wrongResult, node: node, skill: evidence.skill, latency: nil)
                if let ours {
                    store(against: node, evidence, kind: .spotCheck, theirs: witness.signed.result, otherNode: localNode, other: ours, conviction: nil)
                }
            }
        }
        if settlement.evidenceHolds { await forward(evidence, except: sender) }
        if settlement.senderAtFault {
            counts.refused += 1
            await stats.dropped(.falseEvidence)
            await peers.punish(sender, .falseEvidence, stats: stats, logger: logger)
            logger.warning("the evidence against \(key.accused.short) from \(sender.short) was false: this node's own run agrees with the accused")
        }
    }

    /// `job` run by `executor`, abandoned as timed out after `limit`.
    static func run(_ job: SkillJob, within limit: Duration, on executor: LocalExecutor) async -> TaskOutcome {
        await withTaskGroup(of: TaskOutcome?.self) { group in
            group.addTask { await executor.execute(job) }
            group.addTask {
                try? await Task.sleep(for: limit)
                return Task.isCancelled ? nil : .failure(TaskFailure(.timedOut, "the re-run of an evidence task ran past its time"))
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(TaskFailure(.internal, "the re-run ended without an outcome"))
        }
    }

    /// Sends `evidence`, signed by this node, to every connected peer but `sender` and the accused,
    /// each within its allowance (a peer whose allowance is spent is left out, and counted).
    func forward(_ evidence: ConvictionEvidenceMessage, except sender: NodeID?) async {
        let claim: SealedClaim
        do {
            claim = try sealer.claim(evidence.wire)
        } catch {
            return logger.error("could not sign evidence against \(evidence.accusedNode.short): \(error)")
        }
        for session in await peers.allSessions where session.peer != sender && session.peer != evidence.accusedNode {
            guard takeOutbound(session.peer) else {
                counts.notSent += 1
                logger.debug("evidence against \(evidence.accusedNode.short) not sent to \(session.peer.short): its allowance is spent")
                continue
            }
            counts.forwarded += 1
            tasks.spawn { try? await session.send(claim) }
        }
    }

    /// A peer connected: it is sent the proofs of the convictions still in force here (the newest
    /// ``sentOnConnect``, within its allowance), but none against itself.
    func peerConnected(_ session: PeerSession) async {
        let sinceMs = WallClock.nowMs() - (await reputation.convictionMemory).milliseconds
        let rows: [EvidenceRecord]
        do {
            rows = try await database.background { try $0.evidenceToShare(sinceMs: sinceMs, limit: Self.sentOnConnect) }
        } catch {
            return logger.warning("could not read the evidence to send \(session.peer.short): \(error.message)")
        }
        for row in rows where row.peer != session.peer.hex {
            guard let accused = try? NodeID(hex: row.peer), await reputation.isConvicted(accused), let bytes = row.conviction,
                let wire = try? Grid_V1_ConvictionEvidence(serializedBytes: bytes),
                let evidence = try? ConvictionEvidenceMessage(wire, maxBytes: maxBytes, payloadBytes: bytes.count),
                evidence.accusedNode == accused
            else { continue }
            guard takeOutbound(session.peer) else {
                counts.notSent += 1
                return
            }
            guard let claim = try? sealer.claim(wire) else { continue }
            counts.forwarded += 1
            try? await session.send(claim)
        }
    }

    /// Keeps a proof in the background (logging, not failing, when the store cannot take it).
    func store(
        against node: NodeID, _ evidence: ConvictionEvidenceMessage, kind: EvidenceRecord.Kind, theirs: Grid_V1_SignedEnvelope,
        otherNode: NodeID, other: Grid_V1_SignedEnvelope, conviction: [UInt8]?
    ) {
        guard let theirBytes = try? theirs.serializedBytes() as [UInt8], let otherBytes = try? other.serializedBytes() as [UInt8] else { return }
        let record = EvidenceRecord(
            peer: node, taskID: evidence.taskID, skill: evidence.skill, kind: kind, theirDigest: TaskResultEvidence.digest(of: theirs),
            theirResult: theirBytes, otherNode: otherNode, otherDigest: TaskResultEvidence.digest(of: other), otherResult: otherBytes,
            atMs: WallClock.nowMs(), conviction: conviction)
        let (database, logger) = (database, logger)
        tasks.spawn {
            do {
                try await database.background { try $0.recordEvidence(record) }
            } catch {
                logger.error("could not keep the evidence against \(node.short) for task \(evidence.taskID): \(error)")
            }
        }
    }
}
