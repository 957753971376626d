import GridCore
import GridWire

/// The periodic work that keeps routing information fresh.
enum RoutingChores {
    /// Every `announceIntervalMs`: forgets peers whose announcements expired, and tells every peer
    /// this node's skills, capacity and current load.
    static func announceSkills(_ node: NodeContext) async {
        while (try? await Task.sleep(for: .milliseconds(node.settings.announceIntervalMs))) != nil {
            for peer in await node.peers.expireRegistry() {
                node.logger.info("forgot the skills of \(peer.short): not heard from within \(node.settings.skillExpiryMs) ms")
            }
            await announce(node)
        }
    }

    /// Whenever the skills this node serves change (an application began or stopped serving one),
    /// tells every peer at once, so a withdrawn skill gets no more requests.
    static func announceChanges(_ node: NodeContext) async {
        for await _ in node.executor.skillChanges {
            node.logger.info("skills now \(node.localSkills.map(\.name).sorted()): telling every peer")
            await announce(node)
        }
    }

    private static func announce(_ node: NodeContext) async {
        guard let claim = try? node.sealed(node.announcement()) else { return }
        for session in await node.peers.allSessions {
            try? await session.send(claim)
        }
    }
}

extension RoutingChores {
    /// Every `trustIntervalMs`: recomputes trust from this node's experience and the reports it
    /// holds, and sends every peer this node's signed TrustReport.
    static func shareTrust(_ node: NodeContext) async {
        while (try? await Task.sleep(for: .milliseconds(node.settings.trustIntervalMs))) != nil {
            let (computation, report) = await node.reputation.recompute(nowMs: UInt64(WallClock.nowMs()))
            node.logger.debug(
                "trust recomputed: \(computation.nodes) nodes, \(computation.edges) edges, \(computation.iterations) iterations\(computation.converged ? "" : " (not converged)")")
            guard !report.entries.isEmpty, let claim = try? node.sealed(report) else { continue }
            for session in await node.peers.allSessions {
                try? await session.send(claim)
            }
        }
    }
}

extension RoutingChores {
    /// Saves what the node learnt of its peers — experience, convictions, circuit breakers — every
    /// `reputationSaveIntervalMs`, so a restart (even a kill -9) keeps all but the last interval.
    /// A graceful stop saves once more (``saveReputation(_:coordinator:)``).
    static func keepReputation(_ node: NodeContext, coordinator: DelegationCoordinator) async {
        while (try? await Task.sleep(for: .milliseconds(node.settings.reputationSaveIntervalMs))) != nil {
            await saveReputation(node, coordinator: coordinator)
        }
    }

    static func saveReputation(_ node: NodeContext, coordinator: DelegationCoordinator) async {
        let nowMs = WallClock.nowMs()
        let experience = await node.reputation.snapshot(nowMs: nowMs)
        let breakers = await coordinator.breakersSnapshot(nowMs: nowMs)
        do {
            try await node.database.background {
                try $0.saveSnapshots([NodeContext.experienceSnapshot: experience, NodeContext.breakersSnapshot: breakers], atMs: nowMs)
            }
        } catch {
            node.logger.warning("could not save the experience of the peers: \(error.message)")
        }
    }
}

extension NodeContext {
    /// This node's SkillAnnouncement: what it serves (and which of it is deterministic), how many
    /// tasks it runs at once, how many it is running and queueing now, and how many it queues at most.
    func announcement() -> Grid_V1_SkillAnnouncement {
        var message = Grid_V1_SkillAnnouncement()
        let skills = localSkills
        message.skills = skills.map(\.name).sorted()
        message.deterministicSkills = executor.deterministicSkills.intersection(skills).map(\.name).sorted()
        message.capacity = UInt32(executor.totalCapacity)
        message.load = UInt32(executor.load)
        message.queued = UInt32(executor.waiting)
        message.maxQueued = UInt32(executor.maxQueued)
        return message
    }
}
