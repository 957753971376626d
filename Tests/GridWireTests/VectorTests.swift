import Foundation
import GridCore
import GridCrypto
import GridWire
import NIOCore
import Testing

/// Checks every file in Protocol/vectors/. Run with GRID_WRITE_VECTORS=1 to write them anew
/// (Ed25519 is deterministic, so unchanged code writes identical files).
@Suite struct VectorTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protocol/vectors")

    struct Vector: Codable {
        var description: String
        var seed: String
        var public_key: String
        var signed_bytes: String
        var signature: String
        // Envelopes.
        var payload_type: String?
        var timestamp_ms: UInt64?
        var nonce: String?
        var payload: String?
        var frame: String?
        // Handshake proof.
        var challenge: String?
        var verifier_public_key: String?
    }

    static func files() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test func everyClaimKindHasAVector() throws {
        let names = Set(try Self.files().map(\.lastPathComponent))
        #expect(names == Set(VectorCatalog.all().map(\.name)))
    }

    @Test(arguments: try VectorTests.files())
    func vectorHolds(_ file: URL) throws {
        let vector = try JSONDecoder().decode(Vector.self, from: Data(contentsOf: file))
        let identity = try SigningIdentity(seed: Hex.decode(vector.seed))
        #expect(identity.nodeID.hex == vector.public_key)
        let signedBytes = try Hex.decode(vector.signed_bytes)
        let signature = try Hex.decode(vector.signature)
        #expect(Ed25519.verify(signature: signature, of: signedBytes, by: identity.nodeID))
        #expect(identity.sign(signedBytes) == signature)

        if let payloadType = vector.payload_type, let timestamp = vector.timestamp_ms,
            let nonce = vector.nonce, let payload = vector.payload, let frameHex = vector.frame
        {
            #expect(EnvelopeSigning.signedBytes(
                payloadType: payloadType, timestampMs: timestamp, nonce: try Hex.decode(nonce), payload: try Hex.decode(payload)) == signedBytes)
            var buffer = ByteBuffer(bytes: try Hex.decode(frameHex))
            let frame = try #require(try FrameDecoder.decodeFrame(from: &buffer, maxFrameBytes: WireLimits.default.maxFrameBytes))
            #expect(buffer.readableBytes == 0)
            let claim = try frame.envelope.verify()
            #expect(claim.author == identity.nodeID)
            #expect(claim.payloadType == payloadType)
            #expect(Array(claim.payload) == (try Hex.decode(payload)))
        } else {
            let challenge = try Hex.decode(try #require(vector.challenge))
            let verifier = try NodeID(hex: try #require(vector.verifier_public_key))
            #expect(HandshakeProof.signedBytes(challenge: challenge, signer: identity.nodeID, verifier: verifier) == signedBytes)
        }
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["GRID_WRITE_VECTORS"] == "1"))
    func writeVectors() throws {
        try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        for (name, vector) in VectorCatalog.all() {
            try (encoder.encode(vector) + Data("\n".utf8)).write(to: Self.directory.appendingPathComponent(name))
        }
    }
}

/// The vectors, built from fixed seeds and fields.
enum VectorCatalog {
    static let requester = try! SigningIdentity(seed: [UInt8](repeating: 0x01, count: 32))
    static let executor = try! SigningIdentity(seed: [UInt8](repeating: 0x02, count: 32))
    static let taskID = Data((0..<16).map { UInt8($0) })
    static let timestamp: UInt64 = 1_790_000_000_000

    static func all() -> [(name: String, vector: VectorTests.Vector)] {
        var announcement = Grid_V1_SkillAnnouncement()
        announcement.skills = ["echo", "sha256"]
        announcement.capacity = 4
        announcement.load = 1

        var request = Grid_V1_TaskRequest()
        request.taskID = taskID
        request.skill = "sha256"
        request.input = Data("hello".utf8)
        request.deadlineMs = 30_000
        request.priority = 96

        var accepted = Grid_V1_TaskAck()
        accepted.taskID = taskID
        accepted.accepted = true
        accepted.queuePosition = 2

        var rejected = Grid_V1_TaskAck()
        rejected.taskID = taskID
        rejected.reason = .unknownSkill
        rejected.message = "this node does not serve skill 'sha256'"

        var success = Grid_V1_TaskResult()
        success.taskID = taskID
        success.output = Data("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".utf8)
        success.executionTimeUs = 35

        var failure = Grid_V1_TaskResult()
        failure.taskID = taskID
        failure.error = .with { $0.code = .skillFailed; $0.message = "boom" }
        failure.executionTimeUs = 12

        return [
            envelope("skill_announcement.json", "SkillAnnouncement from the executor", announcement, by: executor, nonceByte: 0xa1),
            envelope("task_request.json", "TaskRequest for sha256 of 'hello'", request, by: requester, nonceByte: 0xa2),
            envelope("task_ack_accepted.json", "TaskAck accepting the task, 2 ahead of it", accepted, by: executor, nonceByte: 0xa3),
            envelope("task_ack_rejected.json", "TaskAck refusing the task: unknown skill", rejected, by: executor, nonceByte: 0xa4),
            envelope("task_result_success.json", "TaskResult with the digest", success, by: executor, nonceByte: 0xa5),
            envelope("task_result_error.json", "TaskResult with a skill failure", failure, by: executor, nonceByte: 0xa6),
            handshakeProof(),
        ]
    }

    static func envelope<M: WireMessage>(
        _ name: String, _ description: String, _ message: M, by identity: SigningIdentity, nonceByte: UInt8
    ) -> (String, VectorTests.Vector) {
        let nonce = [UInt8](repeating: nonceByte, count: 16)
        let envelope = try! Grid_V1_SignedEnvelope.seal(message, by: identity, timestampMs: timestamp, nonce: nonce)
        var frame = ByteBuffer()
        try! FrameEncoder.encodeFrame(.with { $0.envelope = envelope }, into: &frame, maxFrameBytes: WireLimits.default.maxFrameBytes)
        return (name, VectorTests.Vector(
            description: description, seed: Hex.encode(identity.seed), public_key: identity.nodeID.hex,
            signed_bytes: Hex.encode(try! envelope.signedBytes()), signature: Hex.encode(envelope.signature),
            payload_type: envelope.payloadType, timestamp_ms: timestamp, nonce: Hex.encode(nonce),
            payload: Hex.encode(envelope.payload), frame: Hex.encode(frame.readableBytesView)))
    }

    static func handshakeProof() -> (String, VectorTests.Vector) {
        let challenge = [UInt8](repeating: 0x5c, count: 32)
        let signed = HandshakeProof.signedBytes(challenge: challenge, signer: executor.nodeID, verifier: requester.nodeID)
        return ("handshake_proof.json", VectorTests.Vector(
            description: "HelloProof: the executor signs the requester's challenge", seed: Hex.encode(executor.seed),
            public_key: executor.nodeID.hex, signed_bytes: Hex.encode(signed), signature: Hex.encode(executor.sign(signed)),
            challenge: Hex.encode(challenge), verifier_public_key: requester.nodeID.hex))
    }
}
