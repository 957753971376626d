import Foundation
import GridCore
import GridCrypto
import GridWire
import Testing

/// The structural rules of a ConvictionEvidence, one case per rule, and what a valid one tells.
@Suite struct ConvictionEvidenceMessageTests {
    static let limit = ConvictionEvidenceMessage.maxBytes(frameLimit: 4 << 20)

    @Test func aValidEvidenceNamesTheAccusedTheWitnessesAndTheTask() throws {
        let evidence = try ConvictionEvidenceMessage(EvidenceFixtures.valid, maxBytes: Self.limit)
        #expect(evidence.accusedNode == EvidenceFixtures.liar.nodeID)
        #expect(evidence.witnessNodes == [EvidenceFixtures.executor.nodeID, EvidenceFixtures.requester.nodeID])
        #expect(evidence.requester == EvidenceFixtures.requester.nodeID, "the requester's own run is a witness")
        #expect(evidence.taskID.bytes == Array(VectorCatalog.taskID) && evidence.skill.name == "sha256" && evidence.input == Array("hello".utf8))
        #expect(evidence.accused.output == Array(EvidenceFixtures.wrongOutput))
        #expect(evidence.witnessOutput == Array(EvidenceFixtures.rightOutput))
        #expect(evidence.accused.signed == EvidenceFixtures.accused)
    }

    @Test(arguments: EvidenceFixtures.negatives.map { ($0.rule, $0.description) })
    func eachRuleRefusesItsCaseSayingWhatIsWrong(_ rule: ConvictionEvidenceError.Rule, _ description: String) throws {
        let negative = try #require(EvidenceFixtures.negatives.first { $0.rule == rule })
        let error = #expect(throws: ConvictionEvidenceError.self, "\(description)") {
            try ConvictionEvidenceMessage(negative.evidence, maxBytes: Self.limit)
        }
        #expect(error?.rule == rule, "\(error?.description ?? "no error")")
        #expect((error?.message.count ?? 0) > 20, "the message says what is wrong")
        #expect(error?.gridError.code == .evidenceInvalid && error?.gridError.message.contains(rule.rawValue) == true)
    }

    @Test func everyRuleOfTheCatalogueHasACaseButSize() {
        let covered = Set(EvidenceFixtures.negatives.map(\.rule))
        #expect(covered == Set(ConvictionEvidenceError.Rule.allCases).subtracting([.tooLarge]))
    }

    @Test func theSizeBoundIsTheFrameLessTheEnvelopesRoom() throws {
        let bytes = try EvidenceFixtures.valid.serializedBytes() as [UInt8]
        #expect(throws: Never.self) { try ConvictionEvidenceMessage(EvidenceFixtures.valid, maxBytes: bytes.count) }
        let error = #expect(throws: ConvictionEvidenceError.self) {
            try ConvictionEvidenceMessage(EvidenceFixtures.valid, maxBytes: bytes.count - 1)
        }
        #expect(error?.rule == .tooLarge && error?.message.contains("\(bytes.count) bytes") == true)
        let given = #expect(throws: ConvictionEvidenceError.self) {
            try ConvictionEvidenceMessage(EvidenceFixtures.valid, maxBytes: Self.limit, payloadBytes: Self.limit + 1)
        }
        #expect(given?.rule == .tooLarge, "the size as received counts")
        #expect(ConvictionEvidenceMessage.maxBytes(frameLimit: 4 << 20) == (4 << 20) - 1024)
    }

    @Test(arguments: [0, 1, 7])
    func witnessesNumberTwoToSix(_ count: Int) {
        let witnesses = (0..<count).map { _ in EvidenceFixtures.witness }
        let error = #expect(throws: ConvictionEvidenceError.self) {
            try ConvictionEvidenceMessage(EvidenceFixtures.evidence(EvidenceFixtures.accused, witnesses), maxBytes: Self.limit)
        }
        #expect(error?.rule == .witnessCount && error?.message.contains("\(count) witness runs") == true)
    }

    @Test func sixDistinctWitnessesAreEnough() throws {
        let witnesses = (0..<6).map { index in
            EvidenceFixtures.run(
                UInt8(2 + index), executedBy: try! SigningIdentity(seed: [UInt8](repeating: 0x10 + UInt8(index), count: 32)),
                output: EvidenceFixtures.rightOutput)
        }
        let evidence = try ConvictionEvidenceMessage(accused: EvidenceFixtures.accused, witnesses: witnesses, maxBytes: Self.limit)
        #expect(Set(evidence.witnessNodes).count == 6)
    }

    @Test func aRunWithoutItsRequestOrResultIsRefused() {
        var noRequest = EvidenceFixtures.witness
        noRequest.clearRequest()
        var noResult = EvidenceFixtures.witness
        noResult.clearResult()
        for run in [noRequest, noResult] {
            let error = #expect(throws: ConvictionEvidenceError.self) {
                try ConvictionEvidenceMessage(EvidenceFixtures.evidence(EvidenceFixtures.accused, [run, EvidenceFixtures.selfRun]), maxBytes: Self.limit)
            }
            #expect(error?.rule == .badSignature && error?.message.contains("is missing") == true)
        }
    }

    /// Nobody can frame a node: no single changed bit of a valid evidence gives another valid one.
    @Test func noChangedBitOfAValidEvidenceIsAcceptedAsAnotherProof() throws {
        let bytes = try EvidenceFixtures.valid.serializedBytes() as [UInt8]
        var accepted: [Int] = []
        for index in bytes.indices {
            var changed = bytes
            changed[index] ^= 0x01
            guard let wire = try? Grid_V1_ConvictionEvidence(serializedBytes: changed) else { continue }
            if (try? ConvictionEvidenceMessage(wire, maxBytes: Self.limit)) != nil { accepted.append(index) }
        }
        #expect(accepted.isEmpty, "bytes \(accepted) can be changed")
    }

    @Test func aSelfRunIsSignedTwiceByTheRequesterAndAnswersItsRequest() throws {
        let sealer = EnvelopeSealer(identity: EvidenceFixtures.requester)
        let run = try Grid_V1_SignedRun.selfRun(
            taskID: TaskID(bytes: Array(VectorCatalog.taskID)), skill: SkillID("sha256"), input: Array("hello".utf8),
            output: Array(EvidenceFixtures.rightOutput), sealer: sealer)
        let request = try run.request.verify(), result = try run.result.verify()
        #expect(request.author == EvidenceFixtures.requester.nodeID && result.author == EvidenceFixtures.requester.nodeID)
        let decoded = try result.decode(Grid_V1_TaskResult.self)
        #expect(Array(decoded.requestDigest) == SHA256.digest(Array(run.request.payload)))
        #expect(decoded.output == EvidenceFixtures.rightOutput)
        // As a witness beside the executor's run, it convicts the liar.
        let evidence = try ConvictionEvidenceMessage(
            accused: EvidenceFixtures.accused, witnesses: [EvidenceFixtures.witness, run], maxBytes: Self.limit)
        #expect(evidence.witnessNodes.last == EvidenceFixtures.requester.nodeID)
    }

    @Test func aSealedClaimGivesBackItsEnvelope() throws {
        let sealer = EnvelopeSealer(identity: EvidenceFixtures.requester)
        let claim = try sealer.claim(VectorCatalog.taskRequest)
        let envelope = try claim.envelope()
        #expect(try envelope.verify().author == EvidenceFixtures.requester.nodeID)
        #expect(try Grid_V1_TaskRequest(serializedBytes: envelope.payload) == VectorCatalog.taskRequest)
    }
}
