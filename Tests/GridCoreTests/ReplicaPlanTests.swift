import GridCore
import Testing

@Suite struct ReplicaPlanTests {
    static let n = (1...8).map { node(UInt8($0)) }

    static let cases: [(ranked: Int, replicas: Int, expected: [[Int]])] = [
        (3, 1, [[1, 2, 3]]),
        (0, 1, [[]]),
        (3, 3, [[1], [2], [3]]),
        (8, 3, [[1, 4, 7], [2, 5, 8], [3, 6]]),
        (4, 2, [[1, 3], [2, 4]]),
        (2, 3, [[1], [2], []]),  // the third waits for a node with room
    ]

    @Test(arguments: cases) func replicasNeverShareANode(_ ranked: Int, replicas: Int, expected: [[Int]]) {
        let plan = ReplicaPlan.candidates(ranked: Array(Self.n.prefix(ranked)), replicas: replicas)
        #expect(plan == expected.map { $0.map { Self.n[$0 - 1] } })
        let all = plan.flatMap { $0 }
        #expect(Set(all).count == all.count, "no node in two replicas' candidates")
    }

    @Test func tooFewNodesForTheReplicasIsSaidWithTheCount() throws {
        let skill = try SkillID("sha256")
        #expect(ReplicaPlan.shortfall(replicas: 1, skill: skill, ranked: 0, waiting: 0) == nil, "one replica: the machine decides")
        #expect(ReplicaPlan.shortfall(replicas: 3, skill: skill, ranked: 2, waiting: 1) == nil, "one more may have room later")
        let failure = try #require(ReplicaPlan.shortfall(replicas: 3, skill: skill, ranked: 2, waiting: 0))
        #expect(failure.code == .noProvider && failure.message.contains("only 2 can"))
    }
}
