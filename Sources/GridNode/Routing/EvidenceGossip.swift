import GridCore
import GridCrypto
import GridStore
import GridWire
import Logging

/// Passes proofs of wrong results between nodes (Protocol/README.md, `grid.v1.ConvictionEvidence`).
/// A peer's evidence, once its structure is checked (the dispatcher does that), is judged here by
/// ``EvidenceJudge`` from this node's own knowledge — never the messenger's word — and carried out:
/// a conviction is recorded, stored and passed on to every other peer, once per
/// (accused, requester, task); a task this node can run settles the question by a re-run at low
/// priority; evidence this node cannot judge is passed on too (others may); false evidence counts
/// against its sender. ``share(_:)`` sends this node's own proofs,
/// and a peer that connects gets the proofs of the convictions still in force.
///
/// Bounds: each peer may send `evidencePerPeerPerMinute` evidence messages (and is sent no more);
/// `evidenceMemory` keys are remembered, the oldest forgotten first; at most ``maxPendingReruns``
/// re-runs wait at once; a new peer is sent at most ``sentOnConnect`` proofs.
actor EvidenceGossip {
    /// Proofs sent to a peer that connects, newest first.
    static let sentOnConnect = 16
    /// Re-runs of evidence tasks waiting or running at once; beyond it evidence is dropped.
    static let maxPendingReruns = 8

    /// One task's evidence against one node.
    struct Key: Hashable, Sendable {
        var accused: NodeID
        var requester: NodeID
        var task: TaskID

        init(_ evidence: ConvictionEvidenceMessage) {
            accused = evidence.accusedNode
            requester = evidence.requester
            task = evidence.taskID
        }
    }

    /// What happened to evidence so far (for logs and tests).
    struct Counts: Sendable, Equatable {
        var convicted = 0
        var reruns = 0
        var ignored = 0
        var refused = 0
        var forwarded = 0
        /// Sends left out because a peer's outbound allowance was spent.
        var notSent = 0
    }

    let localNode: NodeID
    let settings: NodeSettings
    let peers: PeerManager
    let reputation: Reputation
    let executor: LocalExecutor
    let database: GridDatabase
    let tasks: NodeTasks
    let stats: NodeStats
    let sealer: EnvelopeSealer
    let logger: Logger

    private var seen: Set<Key> = []
    private var seenOrder: [Key] = []
    private var inbound: [NodeID: TokenBucket] = [:]
    private var outbound: [NodeID: TokenBucket] = [:]
    var pendingReruns = 0
    var counts = Counts()

    init(
        localNode: NodeID, settings: NodeSettings, peers: PeerManager, reputation: Reputation, executor: LocalExecutor,
        database: GridDatabase, tasks: NodeTasks, stats: NodeStats, sealer: EnvelopeSealer, logger: Logger
    ) {
        self.localNode = localNode
        self.settings = settings
        self.peers = peers
        self.reputation = reputation
        self.executor = executor
        self.database = database
        self.tasks = tasks
        self.stats = stats
        self.sealer = sealer
        self.logger = logger
    }

    /// The largest serialized evidence this node accepts or sends: its envelope must fit a frame.
    var maxBytes: Int { ConvictionEvidenceMessage.maxBytes(frameLimit: settings.maxFrameBytes) }

    // MARK: The node's own proofs

    /// Sends this node's own proof of a wrong result to every connected peer (the accused
    /// excepted), within each peer's allowance. Stores nothing: the caller keeps its own evidence
    /// (with the proof's bytes in `EvidenceRecord.conviction`, so that peers that connect later
    /// get it too). A proof that fails its own structural check is not sent, and logged; one
    /// already sent or passed on (same accused, requester and task) is not sent again.
    func share(_ wire: Grid_V1_ConvictionEvidence) async {
        let evidence: ConvictionEvidenceMessage
        do {
            evidence = try ConvictionEvidenceMessage(wire, maxBytes: maxBytes)
        } catch {
            return logger.error("not sharing evidence that peers would refuse: \(error.description)")
        }
        let key = Key(evidence)
        guard !seen.contains(key) else {
            return logger.debug("evidence against \(key.accused.short) for task \(key.task) was passed on already")
        }
        remember(key)
        await forward(evidence, except: nil)
    }

    // MARK: A peer's evidence

    /// Takes one of `peer`'s allowance of evidence messages; false (dropped and counted) beyond it.
    func admit(from peer: NodeID) async -> Bool {
        guard !take(&inbound, peer) else { return true }
        await stats.dropped(.evidenceOverLimit)
        logger.warning(
            "dropped a ConvictionEvidence from \(peer.short): more than \(settings.evidencePerPeerPerMinute) a minute (evidencePerPeerPerMinute)")
        return false
    }

    /// Judges `evidence`, structurally valid, that `sender` sent, and carries out the decision.
    func received(_ evidence: ConvictionEvidenceMessage, from sender: NodeID) async {
        let key = Key(evidence)
        guard !seen.contains(key) else {
            return logger.debug("evidence against \(key.accused.short) for task \(key.task) again, from \(sender.short): handled already")
        }
        let judged = await judgeCase(evidence)
        guard !seen.contains(key) else { return }  // another copy was acted on while this one was being judged
        switch EvidenceJudge.judge(judged) {
        case .convict(let accused):
            remember(key)
            logger.warning(
                "convicted \(accused.short) of a wrong result for task \(evidence.taskID) (\(evidence.skill)) on evidence from \(sender.short): a witness has standing here")
            await convictAccused(evidence)
            await forward(evidence, except: sender)
        case .rerun:
            guard pendingReruns < Self.maxPendingReruns else {
                await stats.dropped(.evidenceOverLimit)
                return logger.warning(
                    "dropped evidence against \(key.accused.short) from \(sender.short): \(Self.maxPendingReruns) re-runs of evidence are pending already")
            }
            remember(key)
            pendingReruns += 1
            counts.reruns += 1
            logger.info("evidence against \(key.accused.short) for task \(key.task) from \(sender.short): running the task here to see")
            tasks.spawn { await self.rerun(evidence, judged, key: key, from: sender) }
        case .ignore(let why):
            counts.ignored += 1
            remember(key)
            logger.info("ignored evidence against \(key.accused.short) for task \(key.task) from \(sender.short): \(why)")
            // Others may be able to judge it (the accused or a witness has standing there): passed
            // on unless there is nothing new in it (this node is the accused, or convicted it).
            if judged.accused != localNode, !judged.accusedConvicted { await forward(evidence, except: sender) }
        case .refuse(let why):
            counts.refused += 1
            await stats.dropped(.falseEvidence)
            await peers.punish(sender, .falseEvidence, stats: stats, logger: logger)
            logger.warning("refused evidence against \(key.accused.short) from \(sender.short): \(why)")
        }
    }

    /// What this node knows that bears on `evidence`.
    private func judgeCase(_ evidence: ConvictionEvidenceMessage) async -> EvidenceJudge.Case {
        let nodes = [evidence.accusedNode] + evidence.witnessNodes
        let standing = await reputation.standing(of: nodes, skill: evidence.skill)
        var convictedWitnesses: Set<NodeID> = []
        for witness in evidence.witnessNodes where await reputation.isConvicted(witness) {
            convictedWitnesses.insert(witness)
        }
        return EvidenceJudge.Case(
            receiver: localNode, accused: evidence.accusedNode, witnesses: evidence.witnessNodes,
            accusedConvicted: await reputation.isConvicted(evidence.accusedNode),
            accusedDeclaredDeterministic: await peers.deterministicDeclaration(of: evidence.skill, by: evidence.accusedNode),
            confirmed: standing.confirmations.mapValues(\.anchored),
            pinned: standing.pinned.intersection(nodes), minimumStanding: settings.verificationPolicy.probation,
            convictedWitnesses: convictedWitnesses, canRerun: executor.serves(evidence.skill) && executor.isDeterministic(evidence.skill))
    }

    // MARK: Memory and allowances

    func remember(_ key: Key) {
        guard seen.insert(key).inserted else { return }
        seenOrder.append(key)
        if seenOrder.count > settings.evidenceMemory {
            seen.remove(seenOrder.removeFirst())
        }
    }

    func forget(_ key: Key) {
        guard seen.remove(key) != nil else { return }
        seenOrder.removeAll { $0 == key }
    }

    /// A token from `peer`'s bucket of evidence messages, in one direction.
    func take(_ buckets: inout [NodeID: TokenBucket], _ peer: NodeID) -> Bool {
        let perMinute = Double(settings.evidencePerPeerPerMinute)
        var bucket = buckets[peer] ?? TokenBucket(ratePerSecond: perMinute / 60, burst: perMinute)
        let taken = bucket.take(now: .now)
        buckets[peer] = bucket
        return taken
    }

    func takeOutbound(_ peer: NodeID) -> Bool { take(&outbound, peer) }

    /// A peer left: once the allowances outnumber the connections a node may have, those of peers
    /// no longer connected go (a peer's allowance survives a quick reconnection otherwise).
    func peerLeft(_ peer: NodeID) async {
        guard inbound.count + outbound.count > 4 * settings.maxConnections else { return }
        let connected = await peers.connectedPeers
        inbound = inbound.filter { connected.contains($0.key) }
        outbound = outbound.filter { connected.contains($0.key) }
    }
}
