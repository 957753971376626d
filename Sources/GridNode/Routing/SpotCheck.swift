import GridCore
import GridCrypto
import GridWire

/// Idle validation: re-runs a fraction of the remote results here, for skills this node has, when
/// a slot is free, and convicts a peer whose output differs. A chosen check waits (at most
/// ``SpotCheckPolicy/maxPending`` of them) until the executor has a free slot and nobody queued;
/// the coordinator calls ``drain()`` whenever a local run ends.
actor SpotCheck {
    private struct Pending {
        var task: TaskSpec
        var output: [UInt8]
        var executor: NodeID
        var signed: Grid_V1_SignedEnvelope
    }

    private let node: NodeContext
    private let policy: SpotCheckPolicy
    private var rng = SystemRandomNumberGenerator()
    private var pending: [Pending] = []
    private(set) var checked = 0
    private(set) var mismatches = 0

    init(node: NodeContext) {
        self.node = node
        policy = SpotCheckPolicy(fraction: node.settings.spotCheckFraction)
    }

    /// `task`'s result `output` came from `executor`, signed as `signed`: perhaps check it.
    func offer(_ task: TaskSpec, output: [UInt8], executor: NodeID, signed: Grid_V1_SignedEnvelope) async {
        guard policy.shouldCheck(hasSkill: node.executor.skills[task.skill] != nil, using: &rng) else { return }
        if pending.count >= policy.maxPending { pending.removeFirst() }
        pending.append(Pending(task: task, output: output, executor: executor, signed: signed))
        await drain()
    }

    /// Runs waiting checks while the executor has a free slot and no queue.
    func drain() async {
        while !pending.isEmpty, isIdle() {
            await check(pending.removeFirst())
        }
    }

    private func isIdle() -> Bool {
        let here = node.executor.occupancy(of: .node)
        return here.running < here.capacity && here.queued == 0
    }

    private func check(_ item: Pending) async {
        checked += 1
        guard case .success(let mine) = await node.executor.execute(SkillJob(
            taskID: item.task.id, skill: item.task.skill, input: item.task.input, priority: TaskPriority.low.defaultLevel,
            requester: node.nodeID, deadlineMs: WallClock.nowMs() + Int64(item.task.timeout.nanoseconds / 1_000_000))) else {
            node.logger.debug("spot-check of task \(item.task.id) inconclusive: the local run failed")
            return
        }
        guard mine != item.output else { return }
        mismatches += 1
        node.logger.warning(
            "spot-check: \(item.executor.short) returned a result for task \(item.task.id) (\(item.task.skill)) that differs from this node's own run")
        await node.reputation.record(.wrongResult, node: item.executor, skill: item.task.skill, latency: nil)
        guard let ours = try? node.sealer.envelope(TaskResultEvidence.ownResult(item.task, output: mine)) else { return }
        TaskResultEvidence.store(
            node: node, against: item.executor, task: item.task, kind: .spotCheck, theirs: item.signed, otherNode: node.nodeID,
            other: ours)
    }
}
