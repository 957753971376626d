import GridCore
import GridTestKit
import Testing

@Suite struct SkillRouterTests {
    let local = node(1)
    let t0 = ContinuousClock.now
    let echo = skill("echo")

    /// A peer as the registry knows it.
    struct Peer {
        var id: NodeID
        var skills = ["echo"]
        var capacity = 4
        var load = 0
        var queued = 0
        var maxQueued = 0
        var age: Duration = .zero
    }

    func registry(_ peers: [Peer], expiry: Duration = .seconds(90)) -> SkillRegistry {
        var registry = SkillRegistry(settings: .init(expiry: expiry))
        for peer in peers {
            registry.update(
                peer.id, .init(skills: Set(peer.skills.map(skill)), capacity: peer.capacity, load: peer.load, queued: peer.queued, maxQueued: peer.maxQueued,
                    lastSeen: t0 - peer.age))
        }
        return registry
    }

    func localNode(skills: [String] = ["echo"], capacity: Int = 4, running: Int = 0, maxQueued: Int = 0, queued: Int = 0)
        -> SkillRouter.LocalNode
    {
        .init(id: local, skills: Set(skills.map(skill)), capacity: capacity, running: running, maxQueued: maxQueued, queued: queued)
    }

    func route(
        _ peers: [Peer], local: SkillRouter.LocalNode? = nil, request: SkillRouter.Request? = nil, experience: Experience = Experience(),
        state: SkillRouter.PeerState = .init(trust: [:]), weights: RoutingWeights = .default, seed: UInt64 = 1
    ) -> Route {
        var rng = SeededRandomNumberGenerator(seed: seed)
        return SkillRouter(settings: .init(weights: weights)).route(
            request ?? .init(skill: echo), local: local ?? localNode(), registry: registry(peers), experience: experience,
            peers: state, now: t0, using: &rng)
    }

    func reason(of node: NodeID, in route: Route) -> Route.Reason? {
        route.excluded.first { $0.node == node }?.reason
    }

    // MARK: Filters

    struct FilterCase: Sendable, CustomStringConvertible {
        var name: String
        var peer: Peer
        var request = SkillRouter.Request(skill: try! SkillID("echo"))
        var state = SkillRouter.PeerState()
        var expected: Route.Reason
        var description: String { name }
    }

    static let filterCases: [FilterCase] = [
        .init(name: "lacks the skill", peer: Peer(id: node(2), skills: ["sha256"]), expected: .lacksSkill),
        .init(name: "not heard from within the expiry", peer: Peer(id: node(2), age: .seconds(91)), expected: .notAlive),
        .init(name: "suspect to the peer layer", peer: Peer(id: node(2)), state: .init(unreachable: [node(2)]), expected: .notAlive),
        .init(
            name: "already failed this task", peer: Peer(id: node(2)), request: .init(skill: try! SkillID("echo"), failed: [node(2)]),
            expected: .alreadyFailed),
        .init(name: "circuit open", peer: Peer(id: node(2)), state: .init(circuitOpen: [node(2)]), expected: .circuitOpen),
        .init(
            name: "on probation with a result under check", peer: Peer(id: node(2)), state: .init(awaitingVerification: [node(2)]),
            expected: .awaitingVerification),
        .init(name: "in-flight window full", peer: Peer(id: node(2)), state: .init(windowFull: [node(2)]), expected: .windowFull),
        .init(name: "announced full", peer: Peer(id: node(2), capacity: 2, load: 2), expected: .atCapacity),
        // Its announced load includes ours: the larger of the two counts, not the sum.
        .init(name: "full with our in-flight tasks", peer: Peer(id: node(2), capacity: 2, load: 1), state: .init(inFlight: [node(2): 2]), expected: .atCapacity),
        .init(name: "its announced queue full", peer: Peer(id: node(2), capacity: 2, load: 2, queued: 4, maxQueued: 4), expected: .atCapacity),
        .init(name: "no capacity at all", peer: Peer(id: node(2), capacity: 0), expected: .atCapacity),
        .init(
            name: "trust below the task's minimum", peer: Peer(id: node(2)), request: .init(skill: try! SkillID("echo"), minimumTrust: 0.5),
            state: .init(trust: [node(2): 0.4]), expected: .belowMinimumTrust(trust: 0.4, minimum: 0.5)),
    ]

    @Test(arguments: filterCases)
    func eachFilterRemovesThePeerAndSaysWhy(_ test: FilterCase) {
        var state = test.state
        state.trust[node(9)] = 1
        let result = route([test.peer, Peer(id: node(9))], request: test.request, state: state)
        #expect(!result.nodes.contains(test.peer.id))
        #expect(reason(of: test.peer.id, in: result) == test.expected)
        #expect(result.nodes.contains(node(9)), "an unaffected peer stays")
    }

    @Test func trustAtTheMinimumPasses() {
        let result = route([Peer(id: node(2))], request: .init(skill: echo, minimumTrust: 0.5), state: .init(trust: [node(2): 0.5]))
        #expect(result.nodes.contains(node(2)))
    }

    @Test func theLocalNodeIsACandidateOnlyWithTheSkillAndRoom() {
        #expect(reason(of: local, in: route([], local: localNode(skills: ["sha256"]))) == .lacksSkill)
        #expect(reason(of: local, in: route([], local: localNode(capacity: 2, running: 2))) == .atCapacity)
        // A local task queues: with room in the queue the local node is still a candidate.
        #expect(route([], local: localNode(capacity: 2, running: 2, maxQueued: 4, queued: 1)).nodes == [local])
        #expect(reason(of: local, in: route([], local: localNode(capacity: 2, running: 2, maxQueued: 4, queued: 4))) == .atCapacity)
        let failedHere = route([], request: .init(skill: echo, failed: [local]))
        #expect(reason(of: local, in: failedHere) == .alreadyFailed)
    }

    // MARK: Scoring

    @Test func theLocalNodeWithSpareCapacityComesFirst() {
        // Same load as the peer, full trust, no network cost: local-first.
        let result = route([Peer(id: node(2))], state: .init(trust: [node(2): 1]))
        #expect(result.nodes == [local, node(2)])
        #expect(result.ranked[0].isLocal)
        #expect(result.ranked[0].parts.latency == 1)
    }

    @Test func aBusyLocalNodeSpillsToAnIdlePeer() {
        let result = route([Peer(id: node(2))], local: localNode(capacity: 4, running: 3), state: .init(trust: [node(2): 1]))
        #expect(result.nodes == [node(2), local])
    }

    /// Two peers that differ in one respect; with only that part weighted, the better one wins.
    struct WeightCase: Sendable, CustomStringConvertible {
        var name: String
        var weights: RoutingWeights
        var better: Peer
        var worse: Peer
        var trust: [NodeID: Double] = [:]
        var description: String { name }
    }

    static let weightCases: [WeightCase] = [
        .init(
            name: "trust", weights: .init(trust: 1, rating: 0, latency: 0, load: 0, recency: 0), better: Peer(id: node(3)),
            worse: Peer(id: node(2)), trust: [node(3): 0.9, node(2): 0.2]),
        .init(
            name: "load", weights: .init(trust: 0, rating: 0, latency: 0, load: 1, recency: 0), better: Peer(id: node(3), load: 0),
            worse: Peer(id: node(2), load: 3)),
        .init(
            name: "recency", weights: .init(trust: 0, rating: 0, latency: 0, load: 0, recency: 1), better: Peer(id: node(3), age: .seconds(1)),
            worse: Peer(id: node(2), age: .seconds(60))),
    ]

    @Test(arguments: weightCases)
    func eachWeightRanksByItsPart(_ test: WeightCase) {
        let result = route(
            [test.worse, test.better], local: localNode(skills: []), state: .init(trust: test.trust), weights: test.weights)
        #expect(result.nodes == [test.better.id, test.worse.id])
    }

    @Test func ratingWeightPrefersTheReliablePeer() {
        var experience = Experience()
        for _ in 0..<20 {
            experience.record(.success, node: node(3), skill: echo, latency: .milliseconds(10), now: t0)
            experience.record(.failure, node: node(2), skill: echo, now: t0)
        }
        let result = route(
            [Peer(id: node(2)), Peer(id: node(3))], local: localNode(skills: []), experience: experience,
            weights: .init(trust: 0, rating: 1, latency: 0, load: 0, recency: 0))
        #expect(result.nodes == [node(3), node(2)])
        #expect(result.ranked[0].samples == 20)
    }

    @Test func latencyWeightPrefersTheFasterPeer() {
        var experience = Experience()
        experience.record(.success, node: node(2), skill: echo, latency: .milliseconds(200), now: t0)
        experience.record(.success, node: node(3), skill: echo, latency: .milliseconds(5), now: t0)
        let result = route(
            [Peer(id: node(2)), Peer(id: node(3))], local: localNode(skills: []), experience: experience,
            weights: .init(trust: 0, rating: 0, latency: 1, load: 0, recency: 0))
        #expect(result.nodes == [node(3), node(2)])
        // ref / (ref + latency) with ref 50 ms.
        #expect(abs(result.ranked[1].parts.latency - 50.0 / 250.0) < 1e-9)
    }

    @Test func aNewPeerIsNeitherBestNorWorst() {
        var experience = Experience()
        for _ in 0..<30 {
            experience.record(.success, node: node(2), skill: echo, now: t0)  // always right
            experience.record(.failure, node: node(4), skill: echo, now: t0)  // always wrong
        }
        let result = route(
            [Peer(id: node(2)), Peer(id: node(3)), Peer(id: node(4))], local: localNode(skills: []), experience: experience,
            weights: .init(trust: 0, rating: 1, latency: 0, load: 0, recency: 0))
        #expect(result.nodes == [node(2), node(3), node(4)])
        // The newcomer's rating is the prior: the mean of the others' rates.
        #expect(abs(result.ranked[1].parts.rating - 0.5) < 1e-9)
    }

    @Test func aFewSamplesDoNotOutweighThePrior() {
        // One lucky success is not a perfect record: with 10 prior samples at ½ it rates 6/11.
        var experience = Experience()
        experience.record(.success, node: node(2), skill: echo, now: t0)
        let result = route([Peer(id: node(2))], local: localNode(skills: []), experience: experience)
        // The prior is this peer's own rate (it is the only one with a record): 1.
        #expect(abs(result.ranked[0].parts.rating - 1) < 1e-9)
        var mixed = experience
        for _ in 0..<3 { mixed.record(.failure, node: node(3), skill: echo, now: t0) }
        let both = route([Peer(id: node(2)), Peer(id: node(3))], local: localNode(skills: []), experience: mixed)
        let rating = both.ranked.first { $0.node == node(2) }!.parts.rating
        // Prior = mean(1, 0) = ½; (1 + 10·½) / (1 + 10) = 6/11.
        #expect(abs(rating - 6.0 / 11.0) < 1e-9)
    }

    @Test func theScoreIsTheWeightedMeanOfItsParts() {
        let router = SkillRouter()
        let parts = ScoreParts(trust: 1, rating: 0.5, latency: 0.5, load: 0, recency: 1)
        let expected = (0.25 * 1 + 0.30 * 0.5 + 0.15 * 0.5 + 0.25 * 0 + 0.05 * 1) / 1.0
        #expect(abs(router.score(parts) - expected) < 1e-12)
    }

    // MARK: Ties and redundancy

    @Test func tiesAreBrokenByTheInjectedRandomness() {
        let peers = (2...9).map { Peer(id: node(UInt8($0))) }
        let orders = Set((1...20).map { seed in route(peers, local: localNode(skills: []), seed: UInt64(seed)).nodes })
        #expect(orders.count > 1, "equal peers take turns at the top")
        let first = route(peers, local: localNode(skills: []), seed: 7).nodes
        #expect(route(peers, local: localNode(skills: []), seed: 7).nodes == first, "the same seed gives the same order")
    }

    @Test func topKGivesDistinctNodesBestFirst() {
        let result = route(
            [Peer(id: node(2), load: 3), Peer(id: node(3), load: 0), Peer(id: node(4), load: 1)], local: localNode(skills: []),
            weights: .init(trust: 0, rating: 0, latency: 0, load: 1, recency: 0))
        #expect(result.top(2) == [node(3), node(4)])
        #expect(result.top(10) == [node(3), node(4), node(2)])
        #expect(Set(result.top(3)).count == 3)
    }

    @Test func invalidWeightsAreRefusedWithTheirName() {
        #expect(throws: GridError.self) { try RoutingWeights(trust: -1).validated() }
        #expect(throws: GridError.self) { try RoutingWeights(trust: 0, rating: 0, latency: 0, load: 0, recency: 0).validated() }
        #expect(throws: GridError.self) { try RoutingWeights(rating: .nan).validated() }
    }
}

/// Experience, trust and routing together: the path from a peer's behaviour to its share of work.
@Suite struct ReputationRoutingTests {
    let t0 = ContinuousClock.now
    let echo = skill("echo")
    let local = node(1)

    func route(_ experience: Experience, _ graph: TrustGraph, at now: ContinuousClock.Instant) -> Route {
        var registry = SkillRegistry()
        for peer in [node(2), node(3)] {
            registry.update(peer, .init(skills: [echo], capacity: 4, load: 0, lastSeen: now))
        }
        let trust = Dictionary(uniqueKeysWithValues: [node(2), node(3)].map { ($0, graph.trustScore(of: $0)) })
        var rng = SeededRandomNumberGenerator(seed: 3)
        return SkillRouter().route(
            .init(skill: echo), local: .init(id: local, skills: [], capacity: 4), registry: registry, experience: experience,
            peers: .init(trust: trust), now: now, using: &rng)
    }

    @Test func aPeerThatStartsFailingLosesTrustAndStopsBeingChosen() {
        var experience = Experience(settings: .init(halfLife: .seconds(600)))
        var graph = TrustGraph(localNode: local, preTrusted: [])
        // An hour of good work from node 2, a little from node 3.
        for minute in 0..<60 {
            experience.record(.success, node: node(2), skill: echo, latency: .milliseconds(10), now: t0 + .seconds(60 * minute))
        }
        for minute in 0..<5 {
            experience.record(.success, node: node(3), skill: echo, latency: .milliseconds(10), now: t0 + .seconds(60 * minute))
        }
        var now = t0 + .seconds(3600)
        graph.setLocalTrust(experience.localTrust(now: now))
        graph.recompute()
        #expect(graph.trustScore(of: node(2)) == 1)
        #expect(route(experience, graph, at: now).nodes.first == node(2))

        // Then node 2 fails every task for twenty minutes.
        for minute in 0..<20 {
            now = t0 + .seconds(3600 + 60 * minute)
            experience.record(.failure, node: node(2), skill: echo, now: now)
            experience.record(.timeout, node: node(2), skill: echo, now: now)
        }
        graph.setLocalTrust(experience.localTrust(now: now))
        graph.recompute()
        #expect(experience.localTrust(now: now)[node(2)] == nil, "its failures outweigh what is left of its successes")
        #expect(graph.trustScore(of: node(2)) == 0)
        #expect(graph.trustScore(of: node(3)) == 1)
        let after = route(experience, graph, at: now)
        #expect(after.nodes == [node(3), node(2)])
        #expect(after.ranked[1].parts.rating < after.ranked[0].parts.rating)
    }
}
