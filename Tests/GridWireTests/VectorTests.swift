import Foundation
import GridCore
import GridCrypto
import GridWire
import NIOCore
import Testing

/// Checks every file in Protocol/vectors/. Run with GRID_WRITE_VECTORS=1 to write them anew
/// (keys come from fixed seeds and Ed25519 is deterministic, so unchanged code writes identical files).
@Suite struct VectorTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protocol/vectors")

    /// Inputs a receiver must refuse, each with the rule that refuses it.
    static let negativeDirectory = directory.appendingPathComponent("negative")

    static func files(_ prefix: String, in directory: URL = directory) -> [URL] {
        let all = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        return all.filter { $0.pathExtension == "json" && $0.lastPathComponent.hasPrefix(prefix) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Every vector file, by its path under Protocol/vectors/.
    static var allFiles: [String] {
        files("").map(\.lastPathComponent) + files("", in: negativeDirectory).map { "negative/" + $0.lastPathComponent }
    }

    @Test func theVectorsOnDiskAreExactlyTheCatalog() throws {
        let onDisk = Set(Self.allFiles)
        #expect(onDisk == Set(VectorCatalog.all().map(\.name)))
        let encoder = VectorCatalog.encoder
        for (name, data) in try VectorCatalog.all().map({ ($0.name, try $0.encode(encoder)) }) {
            #expect(try Data(contentsOf: Self.directory.appendingPathComponent(name)) == data, "\(name) differs from what the code makes")
        }
    }

    @Test(arguments: VectorTests.files("envelope_"))
    func envelopeVectorHolds(_ file: URL) throws {
        let vector = try JSONDecoder().decode(EnvelopeVector.self, from: Data(contentsOf: file))
        let identity = try SigningIdentity(seed: Hex.decode(vector.seed))
        #expect(identity.nodeID.hex == vector.public_key)
        let signed = try Hex.decode(vector.signed_bytes)
        #expect(EnvelopeSigning.signedBytes(
            payloadType: vector.payload_type, timestampMs: vector.timestamp_ms, nonce: try Hex.decode(vector.nonce),
            payload: try Hex.decode(vector.payload)) == signed)
        #expect(identity.sign(signed) == (try Hex.decode(vector.signature)))
        var buffer = ByteBuffer(bytes: try Hex.decode(vector.frame))
        let body = try #require(try RawFrameDecoder.nextBody(from: &buffer, maxBodyBytes: 1 << 20))
        let claim = try PlainFrame.parse(body.readableBytesView).envelope.verify()
        #expect(claim.author == identity.nodeID && claim.payloadType == vector.payload_type)
        if claim.payloadType == Grid_V1_ConvictionEvidence.protoMessageName {
            let evidence = try ConvictionEvidenceMessage(claim.decode(Grid_V1_ConvictionEvidence.self), maxBytes: 1 << 20)
            #expect(evidence.accusedNode == EvidenceFixtures.liar.nodeID)
        }
    }

    @Test(arguments: VectorTests.files("conviction_evidence_", in: VectorTests.negativeDirectory))
    func negativeVectorIsRefusedByItsRule(_ file: URL) throws {
        let vector = try JSONDecoder().decode(NegativeVector.self, from: Data(contentsOf: file))
        #expect(file.lastPathComponent == "conviction_evidence_\(vector.rule).json")
        let evidence = try Grid_V1_ConvictionEvidence(serializedBytes: Hex.decode(vector.payload))
        let error = #expect(throws: ConvictionEvidenceError.self) { try ConvictionEvidenceMessage(evidence, maxBytes: 1 << 20) }
        #expect(error?.rule.rawValue == vector.rule, "\(error?.description ?? "")")
    }

    @Test(arguments: VectorTests.files("frame_"))
    func frameVectorHolds(_ file: URL) throws {
        let vector = try JSONDecoder().decode(FrameVector.self, from: Data(contentsOf: file))
        var buffer = ByteBuffer(bytes: try Hex.decode(vector.frame))
        let body = try #require(try RawFrameDecoder.nextBody(from: &buffer, maxBodyBytes: 1 << 20))
        let frame = try PlainFrame.parse(body.readableBytesView)
        #expect(try PlainFrame.encode(frame, maxFrameBytes: 1 << 20) == (try Hex.decode(vector.frame)))
    }

    @Test func handshakeVectorHolds() throws {
        let vector = try JSONDecoder().decode(
            HandshakeVector.self, from: Data(contentsOf: Self.directory.appendingPathComponent("handshake.json")))
        let transcript = HandshakeProof.transcriptHash(
            dialerHello: try Hex.decode(vector.dialer.hello), listenerHello: try Hex.decode(vector.listener.hello))
        #expect(Hex.encode(transcript) == vector.transcript_hash)
        for side in [vector.dialer, vector.listener] {
            let identity = try SigningIdentity(seed: Hex.decode(side.seed))
            #expect(identity.nodeID.hex == side.public_key)
            #expect(Hex.encode(try EphemeralKeyPair(seed: Hex.decode(side.ephemeral_seed)).publicKey) == side.ephemeral_public_key)
            let signed = HandshakeProof.signedBytes(transcriptHash: transcript, signerDialed: side.role == "dialer")
            #expect(Hex.encode(signed) == side.signed_bytes)
            #expect(Ed25519.verify(signature: try Hex.decode(side.signature), of: signed, by: identity.nodeID))
        }
        #expect(vector.dialer.send_key == vector.listener.receive_key && vector.listener.send_key == vector.dialer.receive_key)
        var receive = FrameCipher(key: try Hex.decode(vector.listener.receive_key))
        for encrypted in vector.dialer_encrypted_frames {
            var buffer = ByteBuffer(bytes: try Hex.decode(encrypted.bytes))
            let body = try #require(try RawFrameDecoder.nextBody(from: &buffer, maxBodyBytes: 1 << 20))
            #expect(try receive.open(body.readableBytesView) == PlainFrame.parse(Hex.decode(encrypted.plaintext_frame_body)))
        }
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["GRID_WRITE_VECTORS"] == "1"))
    func writeVectors() throws {
        try FileManager.default.createDirectory(at: Self.negativeDirectory, withIntermediateDirectories: true)
        for old in Self.allFiles { try FileManager.default.removeItem(at: Self.directory.appendingPathComponent(old)) }
        for vector in VectorCatalog.all() {
            try vector.encode(VectorCatalog.encoder).write(to: Self.directory.appendingPathComponent(vector.name))
        }
    }
}

// MARK: - Vector formats (Protocol/README.md, "Test vectors")

struct EnvelopeVector: Codable {
    var description: String
    var seed: String
    var public_key: String
    var payload_type: String
    var timestamp_ms: UInt64
    var nonce: String
    var payload: String
    var signed_bytes: String
    var signature: String
    /// The length-prefixed plain frame carrying the envelope.
    var frame: String
}

/// An input a receiver must refuse (`Protocol/vectors/negative/`): a serialized
/// grid.v1.ConvictionEvidence and the structural rule that refuses it.
struct NegativeVector: Codable {
    var description: String
    var rule: String
    var payload: String
}

struct FrameVector: Codable {
    var description: String
    var frame: String
}

struct HandshakeVector: Codable {
    struct Side: Codable {
        var role: String
        var seed: String
        var public_key: String
        var ephemeral_seed: String
        var ephemeral_public_key: String
        var network_id: String
        var listen_address: String
        /// The serialized Hello this side sent (the bytes inside Frame.hello).
        var hello: String
        /// The length-prefixed plain frame carrying it.
        var hello_frame: String
        var signed_bytes: String
        var signature: String
        var proof_frame: String
        var send_key: String
        var receive_key: String
    }

    struct EncryptedFrame: Codable {
        var counter: UInt64
        var plaintext_frame_body: String
        var bytes: String
    }

    var description: String
    var dialer: Side
    var listener: Side
    var transcript_hash: String
    /// The dialler's first frames after its proof, encrypted under its send key.
    var dialer_encrypted_frames: [EncryptedFrame]
}

struct NamedVector {
    var name: String
    var encode: (JSONEncoder) throws -> Data
}

// MARK: - The catalogue

enum VectorCatalog {
    static let requester = try! SigningIdentity(seed: [UInt8](repeating: 0x01, count: 32))
    static let executor = try! SigningIdentity(seed: [UInt8](repeating: 0x02, count: 32))
    static let taskID = Data((0..<16).map { UInt8($0) })
    static let timestamp: UInt64 = 1_790_000_000_000

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func named<T: Encodable>(_ name: String, _ value: T) -> NamedVector {
        NamedVector(name: name) { encoder in try encoder.encode(value) + Data("\n".utf8) }
    }

    static func all() -> [NamedVector] {
        envelopes() + frames() + [handshake()] + negatives() + NegativeVectorCatalog.all()
    }

    static let taskRequest = Grid_V1_TaskRequest.with {
        $0.taskID = taskID
        $0.skill = "sha256"
        $0.input = Data("hello".utf8)
        $0.deadlineMs = 30_000
        $0.priority = 96
        $0.minTrustPpm = 250_000
    }

    static func negatives() -> [NamedVector] {
        EvidenceFixtures.negatives.map { negative in
            named("negative/conviction_evidence_\(negative.rule.rawValue).json", NegativeVector(
                description: "ConvictionEvidence refused by the rule \(negative.rule.rawValue): \(negative.description)",
                rule: negative.rule.rawValue, payload: Hex.encode(try! negative.evidence.serializedBytes() as [UInt8])))
        }
    }

    static func envelopes() -> [NamedVector] {
        let request = taskRequest
        let requestDigest = Data(SHA256.digest(try! request.serializedBytes()))
        return [
            envelope("envelope_skill_announcement.json", "SkillAnnouncement from the executor: echo and sha256, both deterministic", by: executor, nonce: 0xa1,
                     Grid_V1_SkillAnnouncement.with {
                         $0.skills = ["echo", "sha256"]
                         $0.capacity = 4
                         $0.load = 1
                         $0.deterministicSkills = ["echo", "sha256"]
                     }),
            envelope("envelope_peer_record.json", "PeerRecord of the executor", by: executor, nonce: 0xa2,
                     Grid_V1_PeerRecord.with { $0.addresses = ["127.0.0.1:7402"]; $0.networkID = "main" }),
            envelope("envelope_task_request.json", "TaskRequest for sha256 of 'hello'", by: requester, nonce: 0xa3, request),
            envelope("envelope_task_ack_accepted.json", "TaskAck accepting the task, 2 waiting ahead of it", by: executor, nonce: 0xa4,
                     Grid_V1_TaskAck.with { $0.taskID = taskID; $0.accepted = true; $0.queuePosition = 2 }),
            envelope("envelope_task_ack_rejected.json", "TaskAck refusing the task: busy", by: executor, nonce: 0xa5,
                     Grid_V1_TaskAck.with { $0.taskID = taskID; $0.reason = .busy; $0.message = "4 tasks running and 64 waiting (the limit); retry later or on another node" }),
            envelope("envelope_task_result_success.json", "TaskResult with the digest", by: executor, nonce: 0xa6,
                     Grid_V1_TaskResult.with {
                         $0.taskID = taskID
                         $0.output = Data("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".utf8)
                         $0.executionTimeUs = 35
                         $0.requestDigest = requestDigest
                     }),
            envelope("envelope_task_result_error.json", "TaskResult with a skill failure", by: executor, nonce: 0xa7,
                     Grid_V1_TaskResult.with {
                         $0.taskID = taskID
                         $0.error = .with { $0.code = .skillFailed; $0.message = "boom" }
                         $0.executionTimeUs = 12
                         $0.requestDigest = requestDigest
                     }),
            envelope("envelope_task_progress.json", "TaskProgress from the executor: 42.5% done, its second report", by: executor,
                     nonce: 0xaa,
                     Grid_V1_TaskProgress.with {
                         $0.taskID = taskID
                         $0.requestDigest = requestDigest
                         $0.stage = .progress
                         $0.fractionPpm = 425_000
                         $0.hasFraction_p = true
                         $0.message = "hashed 17 of 40 blocks"
                         $0.sequence = 2
                     }),
            envelope("envelope_task_cancel.json", "TaskCancel from the requester", by: requester, nonce: 0xa8,
                     Grid_V1_TaskCancel.with { $0.taskID = taskID; $0.reason = "the requester's deadline passed" }),
            envelope("envelope_conviction_evidence.json",
                     "ConvictionEvidence sent by the requester: the liar (seed 03) answered sha256 of 'hello' with 'forged'; the executor and the requester's own run (a self-run) agree on the digest",
                     by: requester, nonce: 0xab, EvidenceFixtures.valid),
            envelope("envelope_trust_report.json", "TrustReport: the requester's local trust", by: requester, nonce: 0xa9,
                     Grid_V1_TrustReport.with {
                         $0.epoch = 7
                         $0.entries = [.with { $0.nodeID = Data(executor.nodeID.bytes); $0.trustPpm = 1_000_000 }]
                     }),
        ]
    }

    static func frames() -> [NamedVector] {
        let record = try! Grid_V1_SignedEnvelope.seal(
            Grid_V1_PeerRecord.with { $0.addresses = ["127.0.0.1:7402"]; $0.networkID = "main" }, by: executor,
            timestampMs: timestamp, nonce: [UInt8](repeating: 0xa2, count: 16))
        let frames: [(String, String, Grid_V1_Frame)] = [
            ("frame_ping.json", "Ping", .with { $0.ping = .with { $0.nonce = 0x0102_0304_0506_0708 } }),
            ("frame_pong.json", "Pong answering that Ping", .with { $0.pong = .with { $0.nonce = 0x0102_0304_0506_0708 } }),
            ("frame_peer_exchange_request.json", "PeerExchangeRequest for up to 16 records",
             .with { $0.peerExchangeRequest = .with { $0.maxRecords = 16 } }),
            ("frame_peer_exchange_response.json", "PeerExchangeResponse with the executor's signed PeerRecord",
             .with { $0.peerExchangeResponse = .with { $0.records = [record] } }),
            ("frame_goodbye.json", "Goodbye on shutdown",
             .with { $0.goodbye = .with { $0.reason = .shutdown; $0.message = "node is shutting down" } }),
            ("frame_error.json", "Error: another network",
             .with { $0.error = .with { $0.code = .wrongNetwork; $0.message = "this node is on network 'main', the peer on 'lab'; nodes of different networks never connect" } }),
        ]
        return frames.map { name, description, frame in
            named(name, FrameVector(description: description, frame: Hex.encode(try! PlainFrame.encode(frame, maxFrameBytes: 1 << 20))))
        }
    }

    static func envelope<M: WireMessage>(
        _ name: String, _ description: String, by identity: SigningIdentity, nonce byte: UInt8, _ message: M
    ) -> NamedVector {
        let nonce = [UInt8](repeating: byte, count: 16)
        let envelope = try! Grid_V1_SignedEnvelope.seal(message, by: identity, timestampMs: timestamp, nonce: nonce)
        return named(name, EnvelopeVector(
            description: description, seed: Hex.encode(identity.seed), public_key: identity.nodeID.hex,
            payload_type: envelope.payloadType, timestamp_ms: timestamp, nonce: Hex.encode(nonce), payload: Hex.encode(envelope.payload),
            signed_bytes: Hex.encode(try! envelope.signedBytes()), signature: Hex.encode(envelope.signature),
            frame: Hex.encode(try! PlainFrame.encode(.with { $0.envelope = envelope }, maxFrameBytes: 1 << 20))))
    }

    /// A full handshake between the requester (dialling) and the executor (listening).
    static func handshake() -> NamedVector {
        let dialerEphemeralSeed = [UInt8](repeating: 0x11, count: 32)
        let listenerEphemeralSeed = [UInt8](repeating: 0x22, count: 32)
        var dialer = HandshakeMachine(
            .init(identity: requester, isDialer: true, networkID: "main", listenAddress: "127.0.0.1:7401"),
            ephemeral: try! EphemeralKeyPair(seed: dialerEphemeralSeed))
        var listener = HandshakeMachine(
            .init(identity: executor, isDialer: false, networkID: "main", listenAddress: "127.0.0.1:7402"),
            ephemeral: try! EphemeralKeyPair(seed: listenerEphemeralSeed))
        let dialerStart = dialer.start()
        let listenerStart = listener.start()
        let dialerHello = frame(in: dialerStart)
        let listenerHello = frame(in: listenerStart)
        let dialerProofActions = dialer.receive(listenerHello)
        let listenerProofActions = listener.receive(dialerHello)
        let dialerProof = frame(in: dialerProofActions)
        let listenerProof = frame(in: listenerProofActions)
        let dialerReceive = receiveKey(in: dialer.receive(listenerProof))
        let listenerReceive = receiveKey(in: listener.receive(dialerProof))
        let transcript = HandshakeProof.transcriptHash(dialerHello: Array(dialerHello.hello), listenerHello: Array(listenerHello.hello))

        func side(_ role: String, _ identity: SigningIdentity, ephemeralSeed: [UInt8], listen: String, hello: Grid_V1_Frame,
                  proof: Grid_V1_Frame, send: [UInt8], receive: [UInt8]) -> HandshakeVector.Side {
            HandshakeVector.Side(
                role: role, seed: Hex.encode(identity.seed), public_key: identity.nodeID.hex, ephemeral_seed: Hex.encode(ephemeralSeed),
                ephemeral_public_key: Hex.encode(try! EphemeralKeyPair(seed: ephemeralSeed).publicKey), network_id: "main",
                listen_address: listen, hello: Hex.encode(hello.hello),
                hello_frame: Hex.encode(try! PlainFrame.encode(hello, maxFrameBytes: 1 << 20)),
                signed_bytes: Hex.encode(HandshakeProof.signedBytes(transcriptHash: transcript, signerDialed: role == "dialer")),
                signature: Hex.encode(proof.helloProof.signature),
                proof_frame: Hex.encode(try! PlainFrame.encode(proof, maxFrameBytes: 1 << 20)),
                send_key: Hex.encode(send), receive_key: Hex.encode(receive))
        }

        let dialerSend = sendKey(in: dialerProofActions)
        var cipher = FrameCipher(key: dialerSend)
        let plaintexts: [Grid_V1_Frame] = [
            .with { $0.ping = .with { $0.nonce = 1 } },
            .with { $0.goodbye = .with { $0.reason = .shutdown; $0.message = "bye" } },
        ]
        let encrypted = plaintexts.enumerated().map { counter, frame in
            HandshakeVector.EncryptedFrame(
                counter: UInt64(counter), plaintext_frame_body: Hex.encode(try! frame.serializedBytes() as [UInt8]),
                bytes: Hex.encode(Array(try! cipher.seal(frame, maxFrameBytes: 1 << 20).readableBytesView)))
        }
        return named("handshake.json", HandshakeVector(
            description: "The requester dials the executor on network main; both prove their keys and derive the channel keys",
            dialer: side("dialer", requester, ephemeralSeed: dialerEphemeralSeed, listen: "127.0.0.1:7401", hello: dialerHello,
                         proof: dialerProof, send: dialerSend, receive: dialerReceive),
            listener: side("listener", executor, ephemeralSeed: listenerEphemeralSeed, listen: "127.0.0.1:7402", hello: listenerHello,
                           proof: listenerProof, send: sendKey(in: listenerProofActions), receive: listenerReceive),
            transcript_hash: Hex.encode(transcript), dialer_encrypted_frames: encrypted))
    }

    static func frame(in actions: [HandshakeMachine.Action]) -> Grid_V1_Frame {
        actions.compactMap { if case .send(let frame) = $0 { frame } else { nil } }.first!
    }

    static func sendKey(in actions: [HandshakeMachine.Action]) -> [UInt8] {
        actions.compactMap { if case .startEncrypting(let key) = $0 { key } else { nil } }.first!
    }

    static func receiveKey(in actions: [HandshakeMachine.Action]) -> [UInt8] {
        actions.compactMap { if case .established(_, let key) = $0 { key } else { nil } }.first!
    }
}
