@testable import GridCore
import GridTestKit
import Testing

/// Votes with anchors (voters with standing), the ledger that says who anchors, and the policy's
/// probation hold: the rules of docs/ROUTING.md, section 5, "Standing".
@Suite struct AnchoredVoteTests {
    /// Each row: a check vote (2 runs, quorum 2, up to 2 tie-breakers) fed answers in order — the
    /// digest, whether the voter is an anchor — with `seeksAnchor` and `anchorsExist` as given;
    /// runs are added whenever the vote asks. Then the decision, and whether it settles (convicts
    /// and confirms).
    struct Row: Sendable, CustomStringConvertible {
        var name: String
        var answers: [(digest: UInt8, anchor: Bool)]
        var seeksAnchor = false
        var anchorsExist = true
        var expected: String
        var settles: Bool?
        var description: String { name }
    }

    static let rows: [Row] = [
        Row(name: "an anchor agrees with the provider", answers: [(0xAA, false), (0xAA, true)], expected: "accepted AA by 2, 0 dissent",
            settles: true),
        Row(name: "two strangers agree, no anchor left to ask: accepted, but settles nothing", answers: [(0xAA, false), (0xAA, false)],
            expected: "accepted AA by 2, 0 dissent", settles: false),
        Row(name: "two strangers agree where the node has no anchor at all: a majority settles", answers: [(0xAA, false), (0xAA, false)],
            anchorsExist: false, expected: "accepted AA by 2, 0 dissent", settles: true),
        Row(name: "two strangers agree while an anchor may be asked: one more run", answers: [(0xAA, false), (0xAA, false)],
            seeksAnchor: true, expected: "pending"),
        Row(name: "the anchor then agrees", answers: [(0xAA, false), (0xAA, false), (0xAA, true)], seeksAnchor: true,
            expected: "accepted AA by 3, 0 dissent", settles: true),
        Row(name: "an anchor against the provider: a tie-breaker", answers: [(0xAA, false), (0xBB, true)], expected: "pending"),
        Row(name: "a stranger sides with the anchor", answers: [(0xAA, false), (0xBB, true), (0xBB, false)],
            expected: "accepted BB by 2, 1 dissent", settles: true),
        Row(name: "a stranger sides with the provider: never over the anchor, one more run",
            answers: [(0xAA, false), (0xBB, true), (0xAA, false)], expected: "pending"),
        Row(name: "anchored agreement outweighs an unanchored crowd", answers: [(0xAA, false), (0xBB, true), (0xAA, false), (0xBB, false)],
            expected: "accepted BB by 2, 2 dissent", settles: true),
        Row(name: "out of runs with the crowd against the anchor: no majority",
            answers: [(0xAA, false), (0xBB, true), (0xAA, false), (0xAA, false)], expected: "no majority"),
        Row(name: "anchors that disagree: the majority, anchored", answers: [(0xAA, true), (0xBB, true), (0xAA, false)],
            expected: "accepted AA by 2, 1 dissent", settles: true),
    ]

    @Test(arguments: rows)
    func decisions(_ row: Row) {
        var vote = ResultVote.check(tieBreakers: 2)
        vote.seeksAnchor = row.seeksAnchor
        vote.anchorsExist = row.anchorsExist
        var decision = vote.decision
        for (index, answer) in row.answers.enumerated() {
            decision = vote.add(node(UInt8(10 + index)), digest: [answer.digest], anchor: answer.anchor)
            if decision == .needsRun {
                vote.addRun()
                decision = vote.decision
            }
        }
        #expect(ResultVoteTests.describe(decision) == row.expected)
        if case .accepted(let digest, _, _) = decision {
            #expect(vote.settles(digest) == row.settles)
        }
        #expect(vote.runs <= vote.maxRuns)
    }

    @Test func clearingSeeksAnchorAcceptsTheUnanchoredMajority() {
        var vote = ResultVote.check(tieBreakers: 2)
        vote.anchorsExist = true
        vote.seeksAnchor = true
        _ = vote.add(node(2), digest: [0xAA])
        #expect(vote.add(node(3), digest: [0xAA]) == .needsRun)
        vote.seeksAnchor = false  // the shell found no anchor to ask
        #expect(vote.decision == .accepted(digest: [0xAA], agreeing: [node(2), node(3)], dissenting: []))
        #expect(!vote.isAnchored([0xAA]) && !vote.settles([0xAA]))
    }

    @Test func theTrustedVoterIsAnAnchor() {
        var vote = ResultVote.check(tieBreakers: 2, trusted: node(1))
        vote.anchorsExist = true
        _ = vote.add(node(2), digest: [0xAA])
        _ = vote.add(node(1), digest: [0xAA])
        #expect(vote.isAnchored([0xAA]) && vote.settles([0xAA]))
    }
}

@Suite struct StandingLedgerTests {
    let skill = try! SkillID("sha256")
    let other = try! SkillID("echo")

    @Test func standingComesFromConfirmedResultsPinsAndThisNode() {
        var ledger = StandingLedger(localNode: node(1), policy: VerificationPolicy(probation: 3))
        let key = Experience.Key(node: node(2), skill: skill)
        #expect(ledger.isAnchor(node(1), skill: skill), "this node always anchors")
        #expect(!ledger.isAnchor(node(2), skill: skill) && ledger.mayBeOnProbation(key))
        ledger.learn(key, .init(verified: 5, anchored: 2))
        #expect(!ledger.isAnchor(node(2), skill: skill) && !ledger.mayBeOnProbation(key), "off probation, but without standing")
        ledger.confirmed(key, anchored: false)
        #expect(ledger.confirmations(key) == .init(verified: 6, anchored: 2) && !ledger.isAnchor(node(2), skill: skill))
        ledger.confirmed(key, anchored: true)
        #expect(ledger.confirmations(key) == .init(verified: 7, anchored: 3))
        #expect(ledger.isAnchor(node(2), skill: skill))
        #expect(!ledger.isAnchor(node(2), skill: other), "standing is per skill")
        ledger.learnPinned([node(3)])
        #expect(ledger.isAnchor(node(3), skill: other) && ledger.isPinned(node(3)))
        ledger.learnPinned([])
        #expect(!ledger.isAnchor(node(3), skill: other), "the reputation's pins replace the old ones")
        #expect(!ledger.mayBeOnProbation(Experience.Key(node: node(1), skill: skill)), "this node is never on probation")
    }

    @Test func aProviderIsHeldUntilEveryHoldIsReleased() {
        var ledger = StandingLedger(localNode: node(1), policy: .default)
        let key = Experience.Key(node: node(2), skill: skill)
        ledger.hold(key)
        ledger.hold(key)
        #expect(ledger.held(skill: skill) == [node(2)] && ledger.held(skill: other).isEmpty)
        let first = ledger.release(key)
        #expect(!first && ledger.held(skill: skill) == [node(2)])
        let second = ledger.release(key)
        #expect(second && ledger.held(skill: skill).isEmpty)
        let third = ledger.release(key)
        #expect(third, "releasing what is not held is harmless")
    }
}

@Suite struct ProbationHoldTests {
    @Test(arguments: [
        (0, true, VerifyMode.sample, true), (2, true, .sample, true), (3, true, .sample, false),
        (0, false, .sample, false), (0, true, .strict, false), (0, true, .off, false),
    ])
    func aResultWaitsForItsCheckOnlyOnProbationInSampleMode(_ verified: Int, _ deterministic: Bool, _ mode: VerifyMode, _ holds: Bool) {
        #expect(VerificationPolicy.default.holdsResult(verified: verified, deterministic: deterministic, mode: mode) == holds)
        #expect(!VerificationPolicy(holdOnProbation: false).holdsResult(verified: verified, deterministic: deterministic, mode: mode))
    }

    @Test func anchorsComeRightAfterThisNodeAmongVerifiers() {
        let policy = VerificationPolicy.default
        let order = policy.verifierOrder(
            ranked: [node(2), node(3), node(4), node(1)], verified: [node(2): 50, node(3): 1], trusted: node(1), anchors: [node(4)])
        #expect(order == [node(1), node(4), node(2), node(3)])
        #expect(policy.hasStanding(anchored: 3) && !policy.hasStanding(anchored: 2) && policy.hasStanding(anchored: 0, pinned: true))
    }
}

@Suite struct ExtraRunPlanTests {
    let skill = try! SkillID("sha256")

    static func candidate(_ node: NodeID, local: Bool = false) -> Route.Candidate {
        Route.Candidate(
            node: node, isLocal: local, score: 0.5, parts: ScoreParts(trust: 0, rating: 0.5, latency: 0.5, load: 1, recency: 1), samples: 0)
    }

    /// Each row: the route's candidates and exclusions, the nodes used, who anchors; the plan.
    @Test func thisNodeThenAnchorsThenTheRest() {
        var ledger = StandingLedger(localNode: node(1), policy: VerificationPolicy(probation: 3))
        ledger.learnPinned([node(4)])
        ledger.learn(Experience.Key(node: node(3), skill: skill), .init(verified: 9, anchored: 1))
        let route = Route(
            ranked: [Self.candidate(node(2)), Self.candidate(node(3)), Self.candidate(node(4)), Self.candidate(node(5))],
            excluded: [Route.Excluded(node: node(1), isLocal: true, reason: .atCapacity), Route.Excluded(node: node(6), isLocal: false, reason: .lacksSkill)])
        let plan = ledger.extraRunPlan(route: route, used: [node(5)], skill: skill)
        #expect(plan.candidates == [node(1), node(4), node(3), node(2)], "this node waits for its queue; the pinned peer; most anchored")
        #expect(plan.seeksAnchor && plan.anchorsExist && plan.providersBusy)
    }

    @Test func onlyBusyAnchorsExistAndNoneSought() {
        var ledger = StandingLedger(localNode: node(1), policy: VerificationPolicy(probation: 3))
        ledger.learnPinned([node(4)])
        let route = Route(
            ranked: [Self.candidate(node(2))],
            excluded: [Route.Excluded(node: node(1), isLocal: true, reason: .lacksSkill), Route.Excluded(node: node(4), isLocal: false, reason: .atCapacity)])
        let plan = ledger.extraRunPlan(route: route, used: [], skill: skill)
        #expect(plan.candidates == [node(2)])
        #expect(!plan.seeksAnchor && plan.anchorsExist && plan.providersBusy)
        let none = ledger.extraRunPlan(route: Route(ranked: [], excluded: []), used: [], skill: skill)
        #expect(none == .init(candidates: [], seeksAnchor: false, anchorsExist: false, providersBusy: false))
    }
}
