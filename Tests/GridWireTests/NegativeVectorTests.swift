import CSodium
import Foundation
import GridCore
import GridCrypto
import GridWire
import NIOCore
import SwiftProtobuf
import Testing

/// Checks the negative vectors of ``NegativeVectorCatalog`` against the node's own functions:
/// `Ed25519.verify`, `SignedEnvelope.verify` and `VerifiedEnvelope.decode`, `RawFrameDecoder`,
/// `PlainFrame.parse` and `FrameCipher.open`, `HandshakeMachine`. Each test fails if the node
/// accepts the input, or refuses it for another reason than the file's `rule`.
@Suite struct NegativeVectorTests {
    static let negative = VectorTests.negativeDirectory
    typealias E = Ed25519Arithmetic

    static func load<T: Decodable>(_ type: T.Type, _ file: URL) throws -> T {
        try JSONDecoder().decode(type, from: Data(contentsOf: file))
    }

    // MARK: Signatures

    @Test(arguments: VectorTests.files("signature_", in: NegativeVectorTests.negative))
    func signatureIsRefusedByItsRule(_ file: URL) throws {
        let vector = try Self.load(SignatureVector.self, file)
        let rule = try #require(vector.rule)
        #expect(file.lastPathComponent.hasPrefix("signature_\(rule)"))
        let key = try Hex.decode(vector.public_key)
        let message = try Hex.decode(vector.message)
        let signature = try Hex.decode(vector.signature)
        let r = Array(signature[0..<32])
        let s = Array(signature[32..<64])
        #expect(!Ed25519.verify(signature: signature, of: message, by: try NodeID(bytes: key)), "the node accepts it")

        // What makes each a disagreement between verifiers: the vector is what its rule says,
        // and the rest of the signature holds (the Python reference checks the equations too).
        let k = E.hashToScalar(r + key + message)
        switch rule {
        case "s_not_canonical":
            #expect(!Self.isBelowOrder(s))
            let reduced = E.reduce(s + [UInt8](repeating: 0, count: 32))
            #expect(Ed25519.verify(signature: r + reduced, of: message, by: try NodeID(bytes: key)), "with S mod L it verifies")
        case "small_order_r":
            #expect(Self.timesEight(r) == E.identity)
            // R is the identity: [S]B = [k]A, computed by libsodium.
            #expect(r == E.identity)
            var kA = [UInt8](repeating: 0, count: 32)
            #expect(crypto_scalarmult_ed25519_noclamp(&kA, k, key) == 0)
            #expect(E.base(s) == kA, "the equation [S]B = R + [k]A holds")
        case "key_not_canonical":
            // y (the low 255 bits) is at least p = 2^255 - 19.
            #expect(key[31] & 0x7f == 0x7f && key[1..<31].allSatisfy { $0 == 0xff } && key[0] >= 0xed)
        case "small_order_key":
            #expect(crypto_core_ed25519_is_valid_point(key) == 0)
            #expect(Self.timesEight(key) == E.identity)
            #expect(E.base(s) == r, "R = [S]B: the equation holds whenever [k]A is the identity")
        case "mixed_order_key":
            #expect(Self.isMixedOrder(key))
            #expect(k[0] & 7 != 0, "k is not a multiple of 8, so [k]T is not the identity")
            #expect(Self.cofactoredEquationHolds(key: key, r: r, s: s, k: k))
        default:
            Issue.record("unknown rule \(rule)")
        }
    }

    @Test func theMixedOrderControlIsAccepted() throws {
        let vector = try Self.load(SignatureVector.self, VectorTests.directory.appendingPathComponent("signature_mixed_order_key_accepted.json"))
        #expect(vector.rule == nil)
        let key = try Hex.decode(vector.public_key)
        let signature = try Hex.decode(vector.signature)
        let message = try Hex.decode(vector.message)
        #expect(Self.isMixedOrder(key))
        #expect(Ed25519.verify(signature: signature, of: message, by: try NodeID(bytes: key)))
        let k = E.hashToScalar(Array(signature[0..<32]) + key + message)
        #expect(k[0] & 7 == 0)
    }

    static func isBelowOrder(_ s: [UInt8]) -> Bool {
        for i in (0..<32).reversed() where s[i] != E.order[i] { return s[i] < E.order[i] }
        return false
    }

    static func timesEight(_ point: [UInt8]) -> [UInt8] {
        var p = point
        for _ in 0..<3 { p = E.add(p, p) }
        return p
    }

    /// On the curve, outside the prime-order subgroup, and not of small order.
    static func isMixedOrder(_ point: [UInt8]) -> Bool {
        crypto_core_ed25519_is_valid_point(point) == 0 && timesEight(point) != E.identity
            && crypto_core_ed25519_is_valid_point(timesEight(point)) == 1
    }

    /// [8][S]B = [8]R + [k]([8]A).
    static func cofactoredEquationHolds(key: [UInt8], r: [UInt8], s: [UInt8], k: [UInt8]) -> Bool {
        var k8A = [UInt8](repeating: 0, count: 32)
        guard crypto_scalarmult_ed25519_noclamp(&k8A, k, timesEight(key)) == 0 else { return false }
        return timesEight(E.base(s)) == E.add(timesEight(r), k8A)
    }

    // MARK: Envelopes

    @Test(arguments: VectorTests.files("envelope_", in: NegativeVectorTests.negative))
    func envelopeIsDroppedForItsReason(_ file: URL) throws {
        let vector = try Self.load(EnvelopeRefusal.self, file)
        var buffer = ByteBuffer(bytes: try Hex.decode(vector.frame))
        let body = try #require(try RawFrameDecoder.nextBody(from: &buffer, maxBodyBytes: 1 << 20))
        #expect(buffer.readableBytes == 0)
        // A fault of content: the frame parses, and the one envelope is dropped.
        let frame = try PlainFrame.parse(body.readableBytesView)
        guard case .envelope(let envelope) = frame.body else {
            Issue.record("the frame carries no envelope")
            return
        }
        #expect(Self.dropReason(envelope) == vector.rule)
    }

    /// The drop reason of the checks of "Receiving an envelope" that do not depend on the
    /// receiver's state or clock (1-3, 9, 10), classified as `FrameDispatcher.dispatch` does.
    static func dropReason(_ envelope: Grid_V1_SignedEnvelope) -> String? {
        let claim: VerifiedEnvelope
        do {
            claim = try envelope.verify()
        } catch {
            return error.code == .badSignature ? "bad_signature" : "malformed"
        }
        guard let decode = payloadDecoders[claim.payloadType] else { return "unexpected" }
        do {
            try decode(claim)
        } catch {
            return "malformed"
        }
        return nil
    }

    /// The nine payload types of the dispatcher's switch.
    static let payloadDecoders: [String: @Sendable (VerifiedEnvelope) throws -> Void] = [
        Grid_V1_SkillAnnouncement.protoMessageName: { _ = try $0.decode(Grid_V1_SkillAnnouncement.self) },
        Grid_V1_PeerRecord.protoMessageName: { _ = try $0.decode(Grid_V1_PeerRecord.self) },
        Grid_V1_TaskRequest.protoMessageName: { _ = try $0.decode(Grid_V1_TaskRequest.self) },
        Grid_V1_TaskAck.protoMessageName: { _ = try $0.decode(Grid_V1_TaskAck.self) },
        Grid_V1_TaskResult.protoMessageName: { _ = try $0.decode(Grid_V1_TaskResult.self) },
        Grid_V1_TaskProgress.protoMessageName: { _ = try $0.decode(Grid_V1_TaskProgress.self) },
        Grid_V1_TaskCancel.protoMessageName: { _ = try $0.decode(Grid_V1_TaskCancel.self) },
        Grid_V1_TrustReport.protoMessageName: { _ = try $0.decode(Grid_V1_TrustReport.self) },
        Grid_V1_ConvictionEvidence.protoMessageName: { _ = try $0.decode(Grid_V1_ConvictionEvidence.self) },
    ]

    @Test func theEnvelopeVectorsBeforeTheirChangeAreAccepted() throws {
        let envelope = NegativeVectorCatalog.envelope(nonce: 0xd0)
        #expect(Self.dropReason(envelope) == nil)
    }

    // MARK: Frames

    static let bodyLimit = WireLimits.default.maxFrameBytes + ChaCha20Poly1305.tagByteCount

    @Test(arguments: VectorTests.files("frame_", in: NegativeVectorTests.negative))
    func frameIsRefusedByItsRule(_ file: URL) throws {
        let vector = try Self.load(FrameRefusal.self, file)
        let code: GridError.Code?
        if let prefix = vector.length_prefix {
            #expect(vector.body == nil)
            var buffer = ByteBuffer(bytes: try Hex.decode(prefix))
            #expect(buffer.readableBytes == 4)
            let error = #expect(throws: GridError.self) { try RawFrameDecoder.nextBody(from: &buffer, maxBodyBytes: Self.bodyLimit) }
            code = error?.code
            switch vector.rule {
            case "length_zero": #expect(code == .frameEmpty)
            case "length_too_large": #expect(code == .frameTooLarge)
            default: Issue.record("unknown rule \(vector.rule)")
            }
        } else {
            let body = try Hex.decode(try #require(vector.body))
            // Whole, through the length decoder, as a plain (handshake) frame.
            var buffer = ByteBuffer(bytes: PlainFrameTestSupport.lengthPrefix(body.count) + body)
            let read = try #require(try RawFrameDecoder.nextBody(from: &buffer, maxBodyBytes: Self.bodyLimit))
            let error = #expect(throws: GridError.self) { try PlainFrame.parse(read.readableBytesView) }
            code = error?.code
            #expect(code == .frameMalformed)
            // And encrypted, as after the handshake.
            let key = [UInt8](repeating: 0x33, count: 32)
            let sealed = ChaCha20Poly1305.seal(
                body, key: key, nonce: [UInt8](repeating: 0, count: 12),
                associatedData: PlainFrameTestSupport.lengthPrefix(body.count + ChaCha20Poly1305.tagByteCount))
            var cipher = FrameCipher(key: key)
            let encryptedError = #expect(throws: GridError.self) { try cipher.open(sealed) }
            #expect(encryptedError?.code == .frameMalformed)
            // Which rule: the protobuf decoder's (SwiftProtobuf) or the single-field rule's.
            let decoded = Result { try Grid_V1_Frame(serializedBytes: body) }
            switch vector.rule {
            case "not_utf8":
                guard case .failure(BinaryDecodingError.invalidUTF8) = decoded else {
                    Issue.record("not refused as invalid UTF-8: \(decoded)")
                    break
                }
            case "not_protobuf":
                guard case .failure(let failure) = decoded, !((failure as? BinaryDecodingError).map { if case .invalidUTF8 = $0 { true } else { false } } ?? false) else {
                    Issue.record("not refused by the decoder as malformed protobuf: \(decoded)")
                    break
                }
            case "field_twice":
                #expect((try? decoded.get()) != nil, "the decoder alone accepts it")
                #expect(error?.message.contains("appears more than once") == true, "\(error?.message ?? "")")
            case "two_bodies":
                #expect((try? decoded.get()) != nil, "the decoder alone accepts it")
                #expect(error?.message.contains("of its body fields") == true, "\(error?.message ?? "")")
            default:
                Issue.record("unknown rule \(vector.rule)")
            }
        }
        // The Error sent after the handshake, as PeerConnection picks it.
        #expect((code == .frameTooLarge ? "ERROR_CODE_FRAME_TOO_LARGE" : "ERROR_CODE_MALFORMED") == vector.error_code)
    }

    @Test func aLengthAtTheLimitIsRead() throws {
        var buffer = ByteBuffer(bytes: PlainFrameTestSupport.lengthPrefix(Self.bodyLimit))
        #expect(try RawFrameDecoder.nextBody(from: &buffer, maxBodyBytes: Self.bodyLimit) == nil, "waits for the body")
    }

    // MARK: Hellos

    /// The listener of handshake.json: the executor on network main, ephemeral seed 22.
    static func listener() -> HandshakeMachine {
        var machine = HandshakeMachine(
            .init(identity: VectorCatalog.executor, isDialer: false, networkID: "main", listenAddress: "127.0.0.1:7402"),
            ephemeral: try! EphemeralKeyPair(seed: [UInt8](repeating: 0x22, count: 32)))
        _ = machine.start()
        return machine
    }

    @Test(arguments: VectorTests.files("hello_", in: NegativeVectorTests.negative))
    func helloIsRefusedWithItsCode(_ file: URL) throws {
        let vector = try Self.load(HelloRefusal.self, file)
        var buffer = ByteBuffer(bytes: try Hex.decode(vector.hello_frame))
        let body = try #require(try RawFrameDecoder.nextBody(from: &buffer, maxBodyBytes: 1 << 20))
        let frame = try PlainFrame.parse(body.readableBytesView)
        #expect(frame.hello == Data(try Hex.decode(vector.hello)))
        var machine = Self.listener()
        let actions = machine.receive(frame)
        let sent = actions.compactMap { if case .send(let frame) = $0, case .error(let error)? = frame.body { error.code } else { nil } }
        let failed = actions.compactMap { if case .fail(_, let reason) = $0 { reason } else { nil } }
        #expect(sent.count == 1 && failed == sent, "\(actions)")
        #expect(try sent.map(Self.name) == [vector.rule])
        #expect(!actions.contains { if case .startEncrypting = $0 { true } else { false } })
    }

    @Test func theUnchangedHelloIsAccepted() throws {
        let bytes: [UInt8] = try NegativeVectorCatalog.dialerHello.serializedBytes()
        let handshake = try Self.load(HandshakeVector.self, VectorTests.directory.appendingPathComponent("handshake.json"))
        #expect(Hex.encode(bytes) == handshake.dialer.hello)
        var machine = Self.listener()
        let actions = machine.receive(.with { $0.hello = Data(bytes) })
        #expect(actions.contains { if case .startEncrypting = $0 { true } else { false } })
    }

    /// The protobuf name of an error code, as the vectors spell it.
    static func name(_ code: Grid_V1_ErrorCode) throws -> String {
        let json = try Grid_V1_Error.with { $0.code = code }.jsonString()
        return String(json.split(separator: "\"")[3])
    }
}

enum PlainFrameTestSupport {
    static func lengthPrefix(_ count: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt32(count).bigEndian, Array.init)
    }
}
