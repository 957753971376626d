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
        confirmed: [NodeID: Int] = [:], pinned: Set<NodeID> = [], convictedWitnesses: Set<NodeID> = [], canRerun: Bool = false
    ) -> EvidenceJudge.Case {
        EvidenceJudge.Case(
            receiver: me, accused: accused, witnesses: witnesses, accusedConvicted: convicted, accusedDeclaredDeterministic: declared,
            confirmed: confirmed, pinned: pinned, minimumStanding: 3, convictedWitnesses: convictedWitnesses, canRerun: canRerun)
    }

    static let rows: [Row] = [
        Row(name: "evidence against this node itself", c: c(accused: me, canRerun: true), expected: .ignore("this node itself")),
        Row(name: "already convicted: nothing to do, nothing passed on", c: c(convicted: true, declared: false, canRerun: true),
            expected: .ignore("convicted here already")),
        Row(name: "the accused says the skill is not deterministic", c: c(declared: false, pinned: [w1, w2], canRerun: true),
            expected: .refuse("not deterministic")),
        Row(name: "this node has the skill: it runs the task", c: c(declared: true, pinned: [accused], canRerun: true), expected: .rerun),
        Row(name: "an unknown accused and a skill this node can run", c: c(canRerun: true), expected: .rerun),
        Row(name: "a witness with standing against a stranger", c: c(declared: true, confirmed: [w1: 3]), expected: .convict),
        Row(name: "a pinned witness against a stranger", c: c(pinned: [w2]), expected: .convict),
        Row(name: "this node's own run as a witness", c: c(witnesses: [w1, me], confirmed: [accused: 50]), expected: .convict),
        Row(name: "a pinned witness against a pinned accused", c: c(pinned: [accused, w1]), expected: .convict),
        Row(name: "a witness with more confirmed results than the accused", c: c(confirmed: [accused: 4, w1: 5]), expected: .convict),
        Row(name: "as many confirmed results as the accused is enough", c: c(confirmed: [accused: 5, w1: 5]), expected: .convict),
        Row(name: "strangers accusing a stranger prove nothing", c: c(), expected: .ignore("none of the witnesses has standing")),
        Row(name: "a crowd of strangers cannot frame a provider with standing",
            c: c(witnesses: [w1, w2, w3], confirmed: [accused: 3]), expected: .ignore("none of the witnesses has standing")),
        Row(name: "confirmed results below the standing count for nothing", c: c(confirmed: [w1: 2, w2: 2]),
            expected: .ignore("none of the witnesses has standing")),
        Row(name: "the accused has more standing than any witness", c: c(confirmed: [accused: 9, w1: 4]), expected: .ignore("more standing")),
        Row(name: "witnesses cannot outweigh a pinned accused", c: c(confirmed: [accused: 0, w1: 1_000], pinned: [accused]),
            expected: .ignore("more standing")),
        Row(name: "a convicted witness does not count", c: c(confirmed: [w1: 9, w2: 9], convictedWitnesses: [w2]),
            expected: .ignore("only 1 of the 2 witnesses")),
        Row(name: "its standing does not count either", c: c(witnesses: [w1, w2, w3], pinned: [w3], convictedWitnesses: [w3]),
            expected: .ignore("none of the witnesses has standing")),
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
