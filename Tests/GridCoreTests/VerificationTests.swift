import GridCore
import GridTestKit
import Testing

@Suite struct ResultVoteTests {
    let a: [UInt8] = [0xAA], b: [UInt8] = [0xBB], c: [UInt8] = [0xCC]

    @Test func aStrictMajorityOfDigestsIsAccepted() {
        var vote = ResultVote(replicas: 3)
        #expect(vote.quorum == 2)
        #expect(vote.add(node(2), digest: a) == .pending)
        #expect(vote.add(node(3), digest: b) == .pending)
        #expect(vote.add(node(4), digest: a) == .accepted(digest: a, agreeing: [node(2), node(4)], dissenting: [node(3)]))
    }

    @Test func aMajorityEndsTheVoteEarly() {
        var vote = ResultVote(replicas: 3)
        _ = vote.add(node(2), digest: a)
        #expect(vote.add(node(3), digest: a) == .accepted(digest: a, agreeing: [node(2), node(3)], dissenting: []))
    }

    @Test func withoutTieBreakersASplitHasNoMajority() {
        var vote = ResultVote(replicas: 3)
        _ = vote.add(node(2), digest: a)
        _ = vote.addFailure(node(3))
        #expect(vote.decision == .pending, "the last run could still agree with the first")
        guard case .noMajority(let votes, let failed) = vote.add(node(4), digest: b) else {
            Issue.record("expected no majority, got \(vote.decision)")
            return
        }
        #expect(votes == [a: [node(2)], b: [node(4)]] && failed == [node(3)])
        var even = ResultVote(replicas: 2)
        _ = even.add(node(2), digest: a)
        guard case .noMajority = even.add(node(3), digest: b) else {
            Issue.record("1 of 2 is not a majority and no tie-breaker is allowed")
            return
        }
    }

    /// Two replicas, one liar: the split asks for a tie-breaker, whose run convicts the liar.
    @Test func twoReplicasThatDisagreeGetATieBreaker() {
        var vote = ResultVote(replicas: 2, tieBreakers: 2)
        #expect(vote.quorum == 2 && vote.maxRuns == 4)
        _ = vote.add(node(2), digest: a)
        #expect(vote.add(node(3), digest: b) == .needsRun)
        vote.addRun()
        #expect(vote.decision == .pending && vote.outstanding == 1)
        #expect(vote.add(node(4), digest: a) == .accepted(digest: a, agreeing: [node(2), node(4)], dissenting: [node(3)]))
    }

    /// Each row: the answers in order (a digest, or nil for a failure), the tie-breakers allowed,
    /// and the decision after the last answer (runs are added whenever the vote asks).
    struct Row: Sendable, CustomStringConvertible {
        var name: String
        var replicas: Int
        var tieBreakers: Int
        var answers: [[UInt8]?]
        var expected: String
        var description: String { name }
    }

    static let rows: [Row] = [
        .init(name: "2 agree", replicas: 2, tieBreakers: 2, answers: [[0xAA], [0xAA]], expected: "accepted AA by 2, 0 dissent"),
        .init(name: "2 split, tie-breaker agrees with the second", replicas: 2, tieBreakers: 2, answers: [[0xAA], [0xBB], [0xBB]], expected: "accepted BB by 2, 1 dissent"),
        .init(name: "3 different digests, then a fourth run decides", replicas: 2, tieBreakers: 2, answers: [[0xAA], [0xBB], [0xCC], [0xAA]], expected: "accepted AA by 2, 2 dissent"),
        .init(name: "all four differ: out of tie-breakers", replicas: 2, tieBreakers: 2, answers: [[0xAA], [0xBB], [0xCC], [0xDD]], expected: "no majority"),
        .init(name: "a failed replica is replaced", replicas: 2, tieBreakers: 2, answers: [[0xAA], nil, [0xAA]], expected: "accepted AA by 2, 0 dissent"),
        .init(name: "both fail, the tie-breakers fail too", replicas: 2, tieBreakers: 2, answers: [nil, nil, nil, nil], expected: "no majority"),
        .init(name: "no tie-breakers allowed", replicas: 2, tieBreakers: 0, answers: [[0xAA], [0xBB]], expected: "no majority"),
        .init(name: "5 replicas, 2-2-1, a tie-breaker decides", replicas: 5, tieBreakers: 2, answers: [[0xAA], [0xBB], [0xAA], [0xBB], [0xCC], [0xAA]], expected: "accepted AA by 3, 3 dissent"),
    ]

    @Test(arguments: rows)
    func decisions(_ row: Row) {
        var vote = ResultVote(replicas: row.replicas, tieBreakers: row.tieBreakers)
        var decision = vote.decision
        for (index, answer) in row.answers.enumerated() {
            let voter = node(UInt8(10 + index))
            decision = answer.map { vote.add(voter, digest: $0) } ?? vote.addFailure(voter)
            if decision == .needsRun { vote.addRun() }
        }
        #expect(Self.describe(decision) == row.expected)
        #expect(vote.runs <= vote.maxRuns)
    }

    @Test func aCheckNeedsTwoAgreeingRuns() {
        var vote = ResultVote.check(tieBreakers: 1)
        _ = vote.add(node(2), digest: a)
        #expect(vote.decision == .pending, "the check run is out")
        #expect(vote.add(node(3), digest: b) == .needsRun)
        vote.addRun()
        #expect(vote.add(node(4), digest: b) == .accepted(digest: b, agreeing: [node(3), node(4)], dissenting: [node(2)]))
        var inconclusive = ResultVote.check(tieBreakers: 0)
        _ = inconclusive.add(node(2), digest: a)
        guard case .noMajority = inconclusive.addFailure(nil) else {
            Issue.record("a check whose run found no node is inconclusive")
            return
        }
    }

    @Test func theTrustedVoterSettlesTheVoteAtOnce() {
        var vote = ResultVote.check(tieBreakers: 2, trusted: node(1))
        _ = vote.add(node(2), digest: a)
        #expect(vote.add(node(1), digest: b) == .accepted(digest: b, agreeing: [node(1)], dissenting: [node(2)]))
        var replicas = ResultVote(replicas: 3, trusted: node(1))
        #expect(replicas.add(node(1), digest: a) == .accepted(digest: a, agreeing: [node(1)], dissenting: []))
        #expect(replicas.add(node(2), digest: b) == .accepted(digest: a, agreeing: [node(1)], dissenting: [node(2)]))
        #expect(replicas.add(node(3), digest: b) == .accepted(digest: a, agreeing: [node(1)], dissenting: [node(2), node(3)]),
                "two others agreeing do not outvote this node's own run")
    }

    @Test func aVerifiedTaskNeedsTwoAgreeingRunsEvenWithOneReplica() {
        #expect(ResultVote(replicas: 1, verified: true).quorum == 2)
        #expect(ResultVote(replicas: 1).quorum == 1)
        #expect(ResultVote(replicas: 4).quorum == 3)
    }

    @Test func aNodeVotesOnce() {
        var vote = ResultVote(replicas: 3)
        _ = vote.add(node(2), digest: a)
        #expect(vote.add(node(2), digest: a) == .pending)
        #expect(vote.answered == 1)
        #expect(vote.voters == [node(2)])
    }

    static func describe(_ decision: ResultVote.Decision) -> String {
        switch decision {
        case .pending: "pending"
        case .needsRun: "needs a run"
        case .noMajority: "no majority"
        case .accepted(let digest, let agreeing, let dissenting):
            "accepted \(Hex.encode(digest).uppercased()) by \(agreeing.count), \(dissenting.count) dissent"
        }
    }
}

@Suite struct VerificationPolicyTests {
    @Test(arguments: [
        (0, 1.0), (2, 1.0), (3, 0.75), (5, 0.5), (11, 0.25), (29, 0.1), (59, 0.05), (1_000, 0.05),
    ])
    func theShareCheckedFallsWithConfirmedResults(_ verified: Int, _ expected: Double) {
        #expect(abs(VerificationPolicy().probability(verified: verified) - expected) < 1e-12)
    }

    @Test func decisionsFollowTheModeAndTheSkill() {
        var rng = SeededRandomNumberGenerator(seed: 7)
        let policy = VerificationPolicy()
        #expect(policy.shouldVerify(verified: 0, deterministic: true, mode: .sample, using: &rng))
        #expect(!policy.shouldVerify(verified: 0, deterministic: false, mode: .sample, using: &rng), "a non-deterministic skill is never checked")
        #expect(!policy.shouldVerify(verified: 0, deterministic: true, mode: .off, using: &rng))
        #expect(policy.shouldVerify(verified: 10_000, deterministic: true, mode: .strict, using: &rng))
        let checks = (0..<20_000).filter { _ in policy.shouldVerify(verified: 500, deterministic: true, mode: .sample, using: &rng) }.count
        #expect((900...1_100).contains(checks), "the floor: 5% of 20,000 is 1,000")
        #expect(VerificationPolicy(floor: 7).floor == 1 && VerificationPolicy(floor: -1).floor == 0)
    }

    /// The cost the policy's doc claims: about 10 % extra runs over a provider's first 600 results,
    /// then the floor.
    @Test func theCostOfANewProvidersFirstResults() {
        var rng = SeededRandomNumberGenerator(seed: 11)
        let policy = VerificationPolicy()
        var verified = 0
        var checks = 0
        for _ in 0..<600 where policy.shouldVerify(verified: verified, deterministic: true, mode: .sample, using: &rng) {
            checks += 1
            verified += 1  // an honest provider: every check confirms it
        }
        #expect((40...80).contains(checks), "\(checks) checks in 600 results")
        let later = (0..<10_000).filter { _ in policy.shouldVerify(verified: verified + 200, deterministic: true, mode: .sample, using: &rng) }.count
        #expect((400...600).contains(later))
    }

    @Test func verifiersWithTheLongestRecordAreAskedFirst() {
        let policy = VerificationPolicy()
        let ranked = [node(2), node(3), node(4), node(1), node(5)]
        #expect(policy.verifierOrder(ranked: ranked, verified: [node(4): 9, node(5): 9, node(3): 1]) == [node(4), node(5), node(3), node(2), node(1)])
        #expect(policy.verifierOrder(ranked: ranked, verified: [node(4): 9], trusted: node(1)) == [node(1), node(4), node(2), node(3), node(5)])
    }

    @Test func confirmedResultsAreCountedAndAWrongOneStartsAgain() {
        var experience = Experience()
        let now = ContinuousClock.now
        experience.recordVerified(node: node(2), skill: skill("sha256"), now: now)
        experience.recordVerified(node: node(2), skill: skill("sha256"), anchored: false, now: now)
        #expect(experience.verifiedCount(node: node(2), skill: skill("sha256")) == 2)
        #expect(experience.anchoredCount(node: node(2), skill: skill("sha256")) == 1, "only anchored agreement gives standing")
        #expect(experience.verifiedCount(node: node(2), skill: skill("echo")) == 0)
        let restored = Experience(restoring: experience.snapshot(now: now, nowMs: 1_000), now: now, nowMs: 2_000)
        #expect(restored.verifiedCount(node: node(2), skill: skill("sha256")) == 2, "kept across a restart")
        #expect(restored.anchoredCount(node: node(2), skill: skill("sha256")) == 1)
        experience.record(.wrongResult, node: node(2), skill: skill("sha256"), now: now)
        #expect(experience.verifiedCount(node: node(2), skill: skill("sha256")) == 0)
        #expect(experience.anchoredCount(node: node(2), skill: skill("sha256")) == 0)
    }
}

@Suite struct ExplorationTests {
    @Test func aTenthOfTheDecisionsExploreWhileThereIsANovice() {
        var budget = ExplorationBudget(share: 0.1)
        var explored: [Int] = []
        for decision in 1...30 where budget.next() {
            explored.append(decision)
            budget.explored()
        }
        #expect(explored == [10, 20, 30])
    }

    @Test func theCreditWaitsForANovice() {
        var budget = ExplorationBudget(share: 0.25)
        for _ in 0..<20 { _ = budget.next() }  // no novice: nothing spent
        let first = budget.next()
        #expect(first, "a novice appearing is tried at once")
        budget.explored()
        let second = budget.next()
        #expect(!second)
        var never = ExplorationBudget(share: 0)
        let none = never.next()
        #expect(!none)
    }

    @Test func anExploringRouteTriesTheBestNoviceFirst() {
        let echo = skill("echo")
        let now = ContinuousClock.now
        var registry = SkillRegistry()
        for peer in [node(2), node(3), node(4)] {
            registry.update(peer, .init(skills: [echo], capacity: 4, load: 0, lastSeen: now))
        }
        var experience = Experience()
        for _ in 0..<20 { experience.record(.success, node: node(2), skill: echo, latency: .milliseconds(1), now: now) }
        experience.record(.success, node: node(4), skill: echo, latency: .milliseconds(1), now: now)
        let local = SkillRouter.LocalNode(id: node(1), skills: [], capacity: 4)
        let trust: [NodeID: Double] = [node(2): 1, node(3): 0.2, node(4): 0.5]
        var rng = SeededRandomNumberGenerator(seed: 3)
        let plain = SkillRouter().route(
            .init(skill: echo), local: local, registry: registry, experience: experience, peers: .init(trust: trust), now: now, using: &rng)
        #expect(plain.nodes.first == node(2) && plain.explored == nil)
        let exploring = SkillRouter().route(
            .init(skill: echo, explore: true), local: local, registry: registry, experience: experience, peers: .init(trust: trust),
            now: now, using: &rng)
        #expect(exploring.nodes == [node(4), node(2), node(3)], "the better-scored novice first, the rest in order")
        #expect(exploring.explored == node(4))
        registry.remove(node(3))
        registry.remove(node(4))
        let noNovice = SkillRouter().route(
            .init(skill: echo, explore: true), local: local, registry: registry, experience: experience, peers: .init(trust: trust),
            now: now, using: &rng)
        #expect(noNovice.nodes == [node(2)] && noNovice.explored == nil)
    }
}
