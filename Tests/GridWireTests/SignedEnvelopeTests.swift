import Foundation
import GridCore
import GridCrypto
import GridWire
import Testing

@Suite struct SignedEnvelopeTests {
    let author = SigningIdentity()
    let nonce = [UInt8](repeating: 9, count: 16)

    func request() -> Grid_V1_TaskRequest {
        var request = Grid_V1_TaskRequest()
        request.taskID = Data(repeating: 1, count: 16)
        request.skill = "sha256"
        request.input = Data("hello".utf8)
        request.deadlineMs = 30_000
        request.priority = 96
        return request
    }

    @Test func sealedEnvelopeVerifiesAndDecodes() throws {
        let envelope = try Grid_V1_SignedEnvelope.seal(request(), by: author, timestampMs: 1_700_000_000_000, nonce: nonce)
        let claim = try envelope.verify()
        #expect(claim.author == author.nodeID)
        #expect(claim.payloadType == "grid.v1.TaskRequest")
        #expect(claim.timestampMs == 1_700_000_000_000)
        #expect(try claim.decode(Grid_V1_TaskRequest.self) == request())
        #expect(throws: GridError.self) { try claim.decode(Grid_V1_TaskAck.self) }
    }

    @Test func signedBytesStartWithTheDomainAndHaveTheDocumentedLayout() throws {
        let envelope = try Grid_V1_SignedEnvelope.seal(request(), by: author, timestampMs: 0x0102_0304_0506_0708, nonce: nonce)
        let bytes = try envelope.signedBytes()
        let type = Array("grid.v1.TaskRequest".utf8)
        var expected = Array("grid/envelope/v1".utf8) + [0, UInt8(type.count)] + type
        expected += [1, 2, 3, 4, 5, 6, 7, 8] + nonce
        let payload = Array(envelope.payload)
        expected += [0, 0, 0, UInt8(payload.count)] + payload
        #expect(bytes == expected)
    }

    @Test func changingAnySignedFieldBreaksVerification() throws {
        let envelope = try Grid_V1_SignedEnvelope.seal(request(), by: author, timestampMs: 42, nonce: nonce)
        var mutations: [(String, (inout Grid_V1_SignedEnvelope) -> Void)] = [
            ("timestamp", { $0.timestampMs += 1 }),
            ("payload type", { $0.payloadType = "grid.v1.TaskAck" }),
            ("missing signature", { $0.signature = Data() }),
            ("author", { $0.author = Data(SigningIdentity().nodeID.bytes) }),
        ]
        for index in envelope.payload.indices {
            mutations.append(("payload byte \(index)", { $0.payload[index] ^= 0x01 }))
        }
        for index in 0..<16 {
            mutations.append(("nonce byte \(index)", { $0.nonce[index] ^= 0x01 }))
        }
        for index in 0..<64 {
            mutations.append(("signature byte \(index)", { $0.signature[index] ^= 0x01 }))
        }
        for (name, mutate) in mutations {
            var tampered = envelope
            mutate(&tampered)
            let error = #expect(throws: GridError.self, "\(name)") { try tampered.verify() }
            #expect(error?.code == .badSignature, "\(name)")
        }
    }

    @Test func signatureByAnotherKeyIsRefused() throws {
        var envelope = try Grid_V1_SignedEnvelope.seal(request(), by: author, timestampMs: 42, nonce: nonce)
        let impostor = try Grid_V1_SignedEnvelope.seal(request(), by: SigningIdentity(), timestampMs: 42, nonce: nonce)
        envelope.signature = impostor.signature
        #expect(throws: GridError.self) { try envelope.verify() }
    }

    @Test func malformedEnvelopesAreRefusedBeforeVerifying() throws {
        let mutations: [(String, (inout Grid_V1_SignedEnvelope) -> Void)] = [
            ("short author", { $0.author = Data([1, 2]) }),
            ("short nonce", { $0.nonce = Data([1]) }),
            ("empty type", { $0.payloadType = "" }),
            ("long type", { $0.payloadType = String(repeating: "a", count: 256) }),
            ("type with space", { $0.payloadType = "grid.v1 X" }),
        ]
        for (name, mutate) in mutations {
            var envelope = try Grid_V1_SignedEnvelope.seal(request(), by: author, timestampMs: 42, nonce: nonce)
            mutate(&envelope)
            let error = #expect(throws: GridError.self, "\(name)") { try envelope.verify() }
            #expect(error?.code == .envelopeMalformed, "\(name)")
        }
    }
}
