import Foundation
import GridCore
import GridTestKit
import Testing

@Suite struct FaultPlanTests {
    static let peer = String(repeating: "ab", count: 32)

    @Test func theEmptyPlanIsHealthy() throws {
        var rng = SeededRandomNumberGenerator(seed: 1)
        let plan = FaultPlan.none
        #expect(plan.isEmpty)
        #expect(plan.frameOut(using: &rng) == .zero)
        #expect(!plan.dropsIncoming(using: &rng))
        #expect(!plan.isPartitioned(from: try NodeID(hex: Self.peer)))
        #expect(plan.executorFault(for: try SkillID("echo")) == .init(delay: .zero, stalls: false, lies: false))
        #expect(plan.summary == "-")
        try plan.validate()
    }

    @Test func delaysStayWithinTheirJitterAndNeverGoBelowZero() {
        var rng = SeededRandomNumberGenerator(seed: 7)
        let plan = FaultPlan(delayMs: 50, jitterMs: 10)
        let delays = (0..<2_000).map { _ in plan.frameOut(using: &rng) }
        #expect(delays.allSatisfy { $0 >= .milliseconds(40) && $0 <= .milliseconds(60) })
        #expect(delays.contains(.milliseconds(40)) && delays.contains(.milliseconds(60)))
        let wide = FaultPlan(delayMs: 5, jitterMs: 20)
        #expect((0..<2_000).allSatisfy { _ in wide.frameOut(using: &rng) >= .zero })
        #expect(FaultPlan(delayMs: 30).frameOut(using: &rng) == .milliseconds(30))
    }

    @Test(arguments: [(0.0, 0), (1.0, 10_000), (0.25, 2_500)])
    func dropsTheirShareOfFrames(_ share: Double, _ expected: Int) {
        var rng = SeededRandomNumberGenerator(seed: 3)
        let plan = FaultPlan(dropShare: share)
        let dropped = (0..<10_000).filter { _ in plan.dropsIncoming(using: &rng) }.count
        #expect(abs(dropped - expected) <= 150)  // 0.25 ± 3σ (σ = 43) of 10,000 draws
    }

    @Test func executorFaultsNameTheirSkills() throws {
        let plan = FaultPlan(lyingSkills: ["sha256"], stalledSkills: ["sleep"], slowMs: 200)
        #expect(plan.executorFault(for: try SkillID("sha256")) == .init(delay: .milliseconds(200), stalls: false, lies: true))
        #expect(plan.executorFault(for: try SkillID("sleep")) == .init(delay: .milliseconds(200), stalls: true, lies: false))
        #expect(plan.executorFault(for: try SkillID("echo")) == .init(delay: .milliseconds(200), stalls: false, lies: false))
    }

    @Test func aFalsifiedOutputIsAlwaysWrongAndTheSameForTheSameOutput() {
        for output: [UInt8] in [[], [0], Array("8f434346".utf8), [0x5A, 0x5A]] {
            #expect(FaultPlan.falsified(output) != output)
            #expect(FaultPlan.falsified(output) == FaultPlan.falsified(output))
        }
    }

    @Test(arguments: [
        (FaultPlan(delayMs: -1), "delayMs is -1; use 0-60000"),
        (FaultPlan(jitterMs: 60_001), "jitterMs is 60001; use 0-60000"),
        (FaultPlan(slowMs: -5), "slowMs is -5; use 0-60000"),
        (FaultPlan(dropShare: 1.5), "dropShare is 1.5; use a share from 0 to 1"),
        (FaultPlan(partitionedFrom: ["node2"]), "partitionedFrom: 'node2' is not a node ID (64 hex digits)"),
    ])
    func refusesWhatANodeCannotDo(_ plan: FaultPlan, _ message: String) {
        #expect(throws: GridError(.invalidFault, message)) { try plan.validate() }
    }

    @Test func summariesNameEveryFault() {
        let plan = FaultPlan(
            partitionedFrom: [Self.peer], delayMs: 50, jitterMs: 10, dropShare: 0.2, lyingSkills: ["sha256"], stalledSkills: ["sleep"],
            slowMs: 100, refuseConnections: true)
        #expect(plan.summary == "partition(1) delay(50±10ms) drop(20%) lie(sha256) stall(sleep) slow(100ms) refuse")
    }

    @Test func decodesWithEveryFieldOptional() throws {
        let plan = try JSONDecoder().decode(FaultPlan.self, from: Data(#"{"delayMs": 20, "lyingSkills": ["sha256"]}"#.utf8))
        #expect(plan == FaultPlan(delayMs: 20, lyingSkills: ["sha256"]))
        #expect(try JSONDecoder().decode(FaultPlan.self, from: Data("{}".utf8)) == .none)
        let round = try JSONDecoder().decode(FaultPlan.self, from: JSONEncoder().encode(plan))
        #expect(round == plan)
    }
}
