import GridCore
import Testing

/// The judgement of shared evidence: every rule, in order, and what a re-run settles.
@Suite struct EvidenceJudgeTests {
    static let me = node(1), accused = node(9), w1 = node(2), w2 = node(3), w3 = node(4)

    struct Row: Sendable, CustomStringConvertible {
        var name: String
        var c: EvidenceJudge.Case
        var expected: Expected
        var description: String { name }
    }

    enum Expected: Sendable, Equatable {
        case convict, rerun, ignore(String), refuse(String)
    }

    static func c(
        accused: NodeID = accused, witnesses: [NodeID] = [w1, w2], convicted: Bool = false, declared: Bool? = nil,
        trust: [NodeID: Double] = [:], convictedWitnesses: Set<NodeID> = [], canRerun: Bool = false
    ) -> EvidenceJudge.Case {
        EvidenceJudge.Case(
            receiver: me, accused: accused, witnesses: witnesses, accusedConvicted: convicted, accusedDeclaredDeterministic: declared,
            trust: trust, convictedWitnesses: convictedWitnesses, canRerun: canRerun)
    }

    static let rows: [Row] = [
        Row(name: "evidence against this node itself", c: c(accused: me, canRerun: true), expected: .ignore("this node itself")),
        Row(name: "already convicted: nothing to do, nothing passed on", c: c(convicted: true, declared: false, canRerun: true),
            expected: .ignore("convicted here already")),
        Row(name: "the accused says the skill is not deterministic", c: c(declared: false, trust: [w1: 1, w2: 1], canRerun: true),
            expected: .refuse("not deterministic")),
        Row(name: "this node has the skill: it runs the task", c: c(declared: true, trust: [accused: 1], canRerun: true), expected: .rerun),
        Row(name: "an unknown accused and a skill this node can run", c: c(canRerun: true), expected: .rerun),
        Row(name: "trusted witnesses outweigh an untrusted accused", c: c(declared: true, trust: [w1: 0.3, w2: 0.2]), expected: .convict),
        Row(name: "witnesses' summed trust equal to the accused's is enough", c: c(trust: [accused: 0.5, w1: 0.25, w2: 0.25]),
            expected: .convict),
        Row(name: "a crowd of strangers cannot frame a trusted node", c: c(witnesses: [w1, w2, w3], trust: [accused: 0.1]),
            expected: .ignore("below the accused's")),
        Row(name: "strangers accusing a stranger prove nothing", c: c(), expected: .ignore("or zero")),
        Row(name: "the witnesses' trust below the accused's", c: c(trust: [accused: 0.9, w1: 0.4, w2: 0.4]), expected: .ignore("below")),
        Row(name: "a convicted witness does not count", c: c(trust: [w1: 1, w2: 1], convictedWitnesses: [w2]),
            expected: .ignore("only 1 of the 2 witnesses")),
        Row(name: "its trust does not count either", c: c(witnesses: [w1, w2, w3], trust: [accused: 0.5, w1: 0.2, w2: 0.2, w3: 1], convictedWitnesses: [w3]),
            expected: .ignore("below")),
        Row(name: "this node's own run as a witness counts with trust 1", c: c(witnesses: [w1, me], trust: [accused: 1]), expected: .convict),
        Row(name: "scores outside 0...1 are clamped", c: c(trust: [accused: 0.5, w1: -4, w2: .nan]), expected: .ignore("or zero")),
        Row(name: "a witness score above 1 counts as 1", c: c(trust: [accused: 1, w1: 7, w2: 0]), expected: .convict),
    ]

    @Test(arguments: rows)
    func judgement(_ row: Row) {
        let decision = EvidenceJudge.judge(row.c)
        switch (decision, row.expected) {
        case (.convict(let node), .convict): #expect(node == Self.accused)
        case (.rerun, .rerun): break
        case (.ignore(let why), .ignore(let part)), (.refuse(let why), .refuse(let part)):
            #expect(why.contains(part), "\(why)")
        default: Issue.record("\(row.name): got \(decision), expected \(row.expected)")
        }
    }

    static let right: [UInt8] = Array("right".utf8), wrong: [UInt8] = Array("wrong".utf8), other: [UInt8] = Array("other".utf8)

    @Test(arguments: [
        // (own output, accused's, witnesses', convicted, holds, sender at fault)
        (right, wrong, right, [accused], true, false),
        (right, right, wrong, [w1, w2], false, true),
        (other, wrong, right, [accused, w1, w2], true, false),
    ])
    func aRerunConvictsWhoeverDisagreesWithThisNode(
        _ own: [UInt8], _ accusedOutput: [UInt8], _ witnessOutput: [UInt8], _ convicted: [NodeID], _ holds: Bool, _ senderAtFault: Bool
    ) {
        let settlement = EvidenceJudge.settle(Self.c(canRerun: true), accusedOutput: accusedOutput, witnessOutput: witnessOutput, ownOutput: own)
        #expect(settlement == EvidenceJudge.Settlement(convicted: convicted, evidenceHolds: holds, senderAtFault: senderAtFault))
    }

    @Test func thisNodeIsNeverConvictedByItsOwnRun() {
        let settlement = EvidenceJudge.settle(
            Self.c(witnesses: [Self.w1, Self.me], canRerun: true), accusedOutput: Self.right, witnessOutput: Self.wrong, ownOutput: Self.right)
        #expect(settlement.convicted == [Self.w1] && settlement.senderAtFault)
    }
}
