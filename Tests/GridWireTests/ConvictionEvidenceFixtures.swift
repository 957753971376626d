import Foundation
import GridCore
import GridCrypto
import GridWire

/// The conviction evidence of the test vectors, from fixed seeds: the requester asked three nodes
/// for sha256 of "hello"; the liar (seed 03) answered "forged", the executor (seed 02) the right
/// digest, and the requester ran the task itself (a self-run) and got it too. Each negative case
/// changes one thing so that exactly one structural rule refuses it.
enum EvidenceFixtures {
    static let requester = VectorCatalog.requester
    static let executor = VectorCatalog.executor
    static let liar = try! SigningIdentity(seed: [UInt8](repeating: 0x03, count: 32))
    static let stranger = try! SigningIdentity(seed: [UInt8](repeating: 0x04, count: 32))
    static let rightOutput = Data("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".utf8)
    static let wrongOutput = Data("forged".utf8)

    static func nonce(_ byte: UInt8) -> [UInt8] { [UInt8](repeating: byte, count: 16) }

    static func seal<M: WireMessage>(_ message: M, by identity: SigningIdentity, nonce byte: UInt8) -> Grid_V1_SignedEnvelope {
        try! Grid_V1_SignedEnvelope.seal(message, by: identity, timestampMs: VectorCatalog.timestamp, nonce: nonce(byte))
    }

    /// An envelope of `payloadType` around bytes that need not parse.
    static func sealRaw(_ payloadType: String, _ payload: [UInt8], by identity: SigningIdentity, nonce byte: UInt8) -> Grid_V1_SignedEnvelope {
        let signed = EnvelopeSigning.signedBytes(payloadType: payloadType, timestampMs: VectorCatalog.timestamp, nonce: nonce(byte), payload: payload)
        var envelope = Grid_V1_SignedEnvelope()
        envelope.author = Data(identity.nodeID.bytes)
        envelope.payloadType = payloadType
        envelope.payload = Data(payload)
        envelope.timestampMs = VectorCatalog.timestamp
        envelope.nonce = Data(nonce(byte))
        envelope.signature = Data(identity.sign(signed))
        return envelope
    }

    /// Run `k` (1 the accused's, 2 and 3 the witnesses'): `request` signed by `asker` under nonce
    /// `b0 + k`, answered by `executedBy` under nonce `c0 + k` with `output`, after `edit`.
    static func run(
        _ k: UInt8, executedBy: SigningIdentity, output: Data, request: Grid_V1_TaskRequest = VectorCatalog.taskRequest,
        asker: SigningIdentity = requester, edit: (inout Grid_V1_TaskResult) -> Void = { _ in }
    ) -> Grid_V1_SignedRun {
        let signedRequest = seal(request, by: asker, nonce: 0xb0 + k)
        var result = Grid_V1_TaskResult()
        result.taskID = request.taskID
        result.output = output
        result.executionTimeUs = 35
        result.requestDigest = Data(SHA256.digest(Array(signedRequest.payload)))
        edit(&result)
        return Grid_V1_SignedRun(request: signedRequest, result: seal(result, by: executedBy, nonce: 0xc0 + k))
    }

    static var accused: Grid_V1_SignedRun { run(1, executedBy: liar, output: wrongOutput) }
    static var witness: Grid_V1_SignedRun { run(2, executedBy: executor, output: rightOutput) }
    /// The requester's own run: it signed the request and the result.
    static var selfRun: Grid_V1_SignedRun {
        let request = VectorCatalog.taskRequest
        return try! Grid_V1_SignedRun.selfRun(
            taskID: TaskID(bytes: Array(request.taskID)), skill: SkillID(request.skill), input: Array(request.input), output: Array(rightOutput),
            deadlineMs: request.deadlineMs, priority: UInt8(request.priority), minTrustPpm: request.minTrustPpm, executionTimeUs: 35,
            by: requester, timestampMs: VectorCatalog.timestamp, requestNonce: nonce(0xb3), resultNonce: nonce(0xc3))
    }

    static func evidence(_ accused: Grid_V1_SignedRun, _ witnesses: [Grid_V1_SignedRun]) -> Grid_V1_ConvictionEvidence {
        .with {
            $0.accused = accused
            $0.witnesses = witnesses
        }
    }

    /// The valid evidence: the liar accused, the executor and the requester's self-run as witnesses.
    static var valid: Grid_V1_ConvictionEvidence { evidence(accused, [witness, selfRun]) }

    struct Negative {
        var rule: ConvictionEvidenceError.Rule
        var description: String
        var evidence: Grid_V1_ConvictionEvidence
    }

    /// One case per rule a vector can show (too_large needs megabytes: tested in code only).
    static var negatives: [Negative] {
        var badSignature = accused
        badSignature.result.signature[0] ^= 0x01
        var wrongType = accused
        wrongType.request = seal(Grid_V1_TaskCancel.with { $0.taskID = VectorCatalog.taskID }, by: requester, nonce: 0xb1)
        var malformed = witness
        malformed.result = sealRaw(Grid_V1_TaskResult.protoMessageName, [0xff, 0xff], by: executor, nonce: 0xc2)
        var shortID = VectorCatalog.taskRequest
        shortID.taskID = VectorCatalog.taskID.prefix(15)
        var otherInput = VectorCatalog.taskRequest
        otherInput.input = Data("hellO".utf8)
        return [
            Negative(rule: .witnessCount, description: "one witness only: two at least are needed", evidence: evidence(accused, [witness])),
            Negative(rule: .badSignature, description: "the accused's result with one bit of its signature flipped", evidence: evidence(badSignature, [witness, selfRun])),
            Negative(rule: .wrongPayloadType, description: "the accused's request is a TaskCancel", evidence: evidence(wrongType, [witness, selfRun])),
            Negative(rule: .malformedPayload, description: "witness 1's result does not parse as a TaskResult", evidence: evidence(accused, [malformed, selfRun])),
            Negative(
                rule: .invalidTask, description: "every run is of a task whose task_id is 15 bytes",
                evidence: evidence(
                    run(1, executedBy: liar, output: wrongOutput, request: shortID),
                    [run(2, executedBy: executor, output: rightOutput, request: shortID), run(3, executedBy: requester, output: rightOutput, request: shortID)])),
            Negative(
                rule: .differentTask, description: "witness 1 ran another input ('hellO')",
                evidence: evidence(accused, [run(2, executedBy: executor, output: rightOutput, request: otherInput), selfRun])),
            Negative(
                rule: .differentRequester, description: "witness 1's request is signed by another node than the requester",
                evidence: evidence(accused, [run(2, executedBy: executor, output: rightOutput, asker: stranger), selfRun])),
            Negative(
                rule: .resultTaskMismatch, description: "witness 1's result names another task_id than its request",
                evidence: evidence(accused, [run(2, executedBy: executor, output: rightOutput) { $0.taskID = Data(repeating: 0xee, count: 16) }, selfRun])),
            Negative(
                rule: .requestDigestMismatch, description: "witness 1's result's request_digest is not the SHA-256 of its request",
                evidence: evidence(accused, [run(2, executedBy: executor, output: rightOutput) { $0.requestDigest = Data(count: 32) }, selfRun])),
            Negative(
                rule: .noOutput, description: "witness 1's result is an error, not an output",
                evidence: evidence(accused, [run(2, executedBy: executor, output: rightOutput) { $0.error = .with { $0.code = .skillFailed; $0.message = "boom" } }, selfRun])),
            Negative(
                rule: .witnessIsAccused, description: "witness 1's result is signed by the accused",
                evidence: evidence(accused, [run(2, executedBy: liar, output: rightOutput), selfRun])),
            Negative(
                rule: .duplicateWitness, description: "both witness results are signed by the executor",
                evidence: evidence(accused, [witness, run(3, executedBy: executor, output: rightOutput)])),
            Negative(
                rule: .witnessesDisagree, description: "witness 1's output differs from witness 2's",
                evidence: evidence(accused, [run(2, executedBy: executor, output: Data("other".utf8)), selfRun])),
            Negative(
                rule: .sameOutput, description: "the witnesses' output equals the accused's: nothing is shown wrong",
                evidence: evidence(
                    accused,
                    [run(2, executedBy: executor, output: wrongOutput),
                     try! Grid_V1_SignedRun.selfRun(
                        taskID: TaskID(bytes: Array(VectorCatalog.taskID)), skill: SkillID("sha256"), input: Array("hello".utf8),
                        output: Array(wrongOutput), deadlineMs: 30_000, priority: 96, minTrustPpm: 250_000, executionTimeUs: 35, by: requester,
                        timestampMs: VectorCatalog.timestamp, requestNonce: nonce(0xb3), resultNonce: nonce(0xc3))])),
        ]
    }
}
