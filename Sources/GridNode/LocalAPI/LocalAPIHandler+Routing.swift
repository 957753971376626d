import GridCore
import GridLocalAPI

extension LocalAPIHandler {
    /// `peers.list`: the peer layer's view of each peer, with what this node's reputation knows,
    /// and the peers the operator banned.
    func peerViews() async -> [PeerView] {
        var views = await node.peers.views()
        let bannedHere = ((try? await node.database.background { try $0.knownPeers() }) ?? []).filter(\.isBanned)
        for peer in bannedHere {
            if let index = views.firstIndex(where: { $0.nodeId == peer.nodeId }) {
                if views[index].state == "dead" { views[index].state = "banned" }  // just disconnected by the ban
            } else {
                views.append(PeerView(
                    nodeId: peer.nodeId, address: peer.addressList.first ?? "", listenAddress: peer.addressList.first ?? "", direction: "",
                    skills: [], connectedAtMs: 0, state: "banned", lastSeen: peer.lastSeenMs))
            }
        }
        let reputation = node.reputation
        let convictions = (try? await node.database.background { try $0.evidenceCounts() }) ?? [:]
        for index in views.indices {
            guard let id = try? NodeID(hex: views[index].nodeId) else { continue }
            let summary = await reputation.summary(of: id)
            views[index].trust = await reputation.trustScore(of: id)
            views[index].successRate = summary.successRate
            views[index].latencyMs = summary.latencyMs
            views[index].samples = summary.samples
            views[index].wrongResults = convictions[views[index].nodeId] ?? 0
        }
        return views
    }

    /// `peers.evidence`: the wrong results on record, newest first, with both signed results.
    func evidence(_ params: EvidenceParams?) async throws(RPCError) -> [EvidenceView] {
        var peer: NodeID?
        if let hex = params?.nodeId {
            do { peer = try NodeID(hex: hex) } catch { throw RPCError(code: RPCError.invalidParams, message: "nodeId: \(error.message)") }
        }
        let limit = params?.limit ?? 100
        guard (1...1000).contains(limit) else { throw RPCError(code: RPCError.invalidParams, message: "limit is \(limit); use 1-1000") }
        do {
            return try await node.database.background { [peer] in try $0.evidence(against: peer, limit: limit) }.map {
                EvidenceView(
                    nodeId: $0.peer, taskId: $0.taskId, skill: $0.skill, kind: $0.kind.rawValue, theirDigest: $0.theirDigest,
                    theirResult: Hex.encode($0.theirResult), otherNodeId: $0.otherNode, otherDigest: $0.otherDigest,
                    otherResult: Hex.encode($0.otherResult), atMs: $0.atMs, conviction: $0.conviction.map(Hex.encode))
            }
        } catch {
            throw RPCError(code: RPCError.unavailable, message: error.message)
        }
    }

    /// `route.explain`: how a task of the skill would be routed now, and why nodes are left out.
    func explainRoute(_ params: RouteParams?) async throws(RPCError) -> [RouteEntryView] {
        guard let params else { throw RPCError(code: RPCError.invalidParams, message: "route.explain needs params: {\"skill\": ...}") }
        let skill: SkillID
        do { skill = try SkillID(params.skill) } catch {
            throw RPCError(code: RPCError.invalidParams, message: error.message)
        }
        let minimum = params.minTrust ?? 0
        guard (0...1).contains(minimum) else {
            throw RPCError(code: RPCError.invalidParams, message: "minTrust is \(minimum); give a trust level from 0 to 1")
        }
        let route = await node.route(skill, minimumTrust: minimum, flow: await coordinator.flowState())
        let ranked = route.ranked.enumerated().map { index, candidate in
            RouteEntryView(
                nodeId: candidate.node.hex, local: candidate.isLocal, rank: index + 1, score: candidate.score, trust: candidate.parts.trust,
                rating: candidate.parts.rating, latency: candidate.parts.latency, load: candidate.parts.load,
                recency: candidate.parts.recency, samples: candidate.samples)
        }
        var excluded: [RouteEntryView] = []
        for entry in route.excluded {
            excluded.append(RouteEntryView(
                nodeId: entry.node.hex, local: entry.isLocal, score: 0, trust: await node.reputation.trustScore(of: entry.node),
                excluded: entry.reason.name, reason: entry.reason.description))
        }
        return ranked + excluded
    }
}

extension Route.Reason {
    /// The reason's name in the local API.
    var name: String {
        switch self {
        case .lacksSkill: "lacksSkill"
        case .notAlive: "notAlive"
        case .alreadyFailed: "alreadyFailed"
        case .convicted: "convicted"
        case .notDeterministic: "notDeterministic"
        case .circuitOpen: "circuitOpen"
        case .awaitingVerification: "awaitingVerification"
        case .windowFull: "windowFull"
        case .atCapacity: "atCapacity"
        case .belowMinimumTrust: "belowMinimumTrust"
        }
    }
}
