import Foundation
import GridCore
import GridCrypto
import GridWire
import Testing

@Suite struct EnvelopeSealerTests {
    @Test func noncesAreSixteenBytesAndNeverRepeatAcrossRefills() {
        let nonces = EnvelopeNonces(poolBytes: 64)  // 4 per refill, so 1000 nonces take 250 refills
        var seen = Set<Data>()
        for _ in 0..<1000 {
            let nonce = nonces.next()
            #expect(nonce.count == EnvelopeSigning.nonceByteCount)
            seen.insert(nonce)
        }
        #expect(seen.count == 1000)
    }

    @Test func sealsWithTheInjectedClockAndAVerifiableSignature() throws {
        let identity = SigningIdentity()
        let sealer = EnvelopeSealer(identity: identity, nowMs: { 1_700_000_123_456 })
        let message = Grid_V1_TaskCancel.with { $0.taskID = Data(repeating: 9, count: 16); $0.reason = "user" }

        let frame = try sealer.claim(message).frame()
        guard case .envelope(let envelope)? = frame.body else {
            Issue.record("a sealed frame carries an envelope")
            return
        }
        let claim = try envelope.verify()
        #expect(claim.author == identity.nodeID)
        #expect(claim.timestampMs == 1_700_000_123_456)
        #expect(try claim.decode(Grid_V1_TaskCancel.self) == message)
        #expect(try sealer.envelope(message).nonce != envelope.nonce)
    }

    @Test(arguments: [0, 1, 300])
    func aClaimIsTheFrameSwiftProtobufWouldWriteForTheSameNonceAndTime(inputBytes: Int) throws {
        // The hand-written encoding of the send path and the generated code agree byte for byte,
        // including an empty payload and multi-byte lengths.
        let identity = try SigningIdentity(seed: [UInt8](repeating: 3, count: 32))
        let sealer = EnvelopeSealer(identity: identity, nowMs: { 1_700_000_000_000 })
        let message = Grid_V1_TaskRequest.with {
            if inputBytes > 0 {
                $0.taskID = Data(repeating: 1, count: 16)
                $0.input = Data(repeating: 0x42, count: inputBytes)
            }
        }
        let claim = try sealer.claim(message)
        guard case .envelope(let sent)? = try claim.frame().body else {
            Issue.record("a claim's frame carries an envelope")
            return
        }
        let reference = try Grid_V1_SignedEnvelope.seal(message, by: identity, timestampMs: 1_700_000_000_000, nonce: Array(sent.nonce))
        #expect(sent == reference)
        let expected: [UInt8] = try Grid_V1_Frame.with { $0.envelope = reference }.serializedBytes()
        #expect(claim.frameBody == expected)
        #expect(try sealer.envelope(message) != sent)  // a fresh nonce each time
    }

    @Test func aZeroTimestampIsLeftOutAsProtobufDoes() throws {
        let identity = SigningIdentity()
        let claim = try EnvelopeSealer(identity: identity, nowMs: { 0 }).claim(Grid_V1_Ping())
        guard case .envelope(let sent)? = try claim.frame().body else {
            Issue.record("a claim's frame carries an envelope")
            return
        }
        #expect(try claim.frameBody == Grid_V1_Frame.with { $0.envelope = sent }.serializedBytes())
        #expect(try sent.verify().timestampMs == 0)
    }

    @Test func theWriterRefusesAClaimAboveTheFrameLimit() throws {
        let sealer = EnvelopeSealer(identity: SigningIdentity())
        let claim = try sealer.claim(Grid_V1_TaskResult.with { $0.output = Data(repeating: 1, count: 2000) })
        var cipher = FrameCipher(key: [UInt8](repeating: 1, count: 32))
        #expect(throws: GridError.self) { try cipher.seal(claim, maxFrameBytes: 1024) }
        var receiver = FrameCipher(key: [UInt8](repeating: 1, count: 32))
        var sent = try cipher.seal(claim, maxFrameBytes: 4096)
        let body = sent.readSlice(length: sent.readableBytes)!.readableBytesView.dropFirst(4)
        #expect(try receiver.open(body) == claim.frame())
    }

    @Test func theWallClockIsMillisecondsSinceTheEpoch() {
        let before = UInt64(Date().timeIntervalSince1970 * 1000)
        let now = EnvelopeSealer.wallClockMs()
        let after = UInt64(Date().timeIntervalSince1970 * 1000)
        #expect(now + 1 >= before && now <= after + 1)
    }
}
