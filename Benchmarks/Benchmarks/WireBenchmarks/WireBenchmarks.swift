// Wire-protocol benchmarks: what a node pays to send and to receive each message, against the
// bare Ed25519 operations that dominate it. Results and method: ../../../docs/BENCHMARKS.md.
//
// Every benchmark measures one operation per inner iteration (`benchmark.scaledIterations`);
// with scalingFactor .one that is one operation per sample, with .kilo 1000 (for the sub-µs
// ones, so the clock's own cost does not show). The "paired" benchmarks time their operations
// themselves (bare, wire, wire, bare per iteration) and report them as custom metrics: they are
// the ones to read for the wire-vs-bare comparison (see the doc for why).

import Benchmark
import Foundation
import GridCore
import GridCrypto
import GridWire
import NIOCore
import SwiftProtobuf

// MARK: - Fixtures

/// The largest frame a node accepts or sends (the default limit, as nodes run).
private let maxFrameBytes = WireLimits.default.maxFrameBytes
private let maxBodyBytes = RawFrameDecoder(maxFrameBytes: maxFrameBytes).maxBodyBytes
private let allocator = ByteBufferAllocator()

/// A fixed 32-byte session key; the benchmarks do not depend on its value.
private let sessionKey: [UInt8] = (0..<32).map { UInt8($0 &* 7 &+ 1) }
private let taskID: [UInt8] = (0..<16).map { UInt8($0 &+ 0xA0) }
private let requestDigest: [UInt8] = (0..<32).map { UInt8($0 &* 3) }
private let peerIDs: [[UInt8]] = (0..<10).map { index in (0..<32).map { UInt8(($0 &+ index &* 31) & 0xFF) } }

/// A monotonic clock reading, for the paired benchmarks' own timing.
@inline(__always)
private func nanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

// The seven payload types, each built as a node builds it. Sizes are the small, common cases.

private func makeSkillAnnouncement() -> Grid_V1_SkillAnnouncement {
    var message = Grid_V1_SkillAnnouncement()
    message.skills = ["echo", "sha256", "resize-image"]
    message.capacity = 4
    message.load = 1
    return message
}

private func makePeerRecord() -> Grid_V1_PeerRecord {
    var message = Grid_V1_PeerRecord()
    message.addresses = ["10.0.0.5:7946", "[2001:db8::5]:7946"]
    message.networkID = "grid-main"
    return message
}

/// A small TaskRequest: 5 bytes of input.
private func makeTaskRequest() -> Grid_V1_TaskRequest {
    var message = Grid_V1_TaskRequest()
    message.taskID = Data(taskID)
    message.skill = "echo"
    message.input = Data("hello".utf8)
    message.deadlineMs = 30_000
    message.priority = 100
    message.minTrustPpm = 0
    return message
}

private func makeTaskAck() -> Grid_V1_TaskAck {
    var message = Grid_V1_TaskAck()
    message.taskID = Data(taskID)
    message.accepted = true
    message.queuePosition = 0
    return message
}

/// A TaskResult carrying 64 bytes of output.
private func makeTaskResult() -> Grid_V1_TaskResult {
    var message = Grid_V1_TaskResult()
    message.taskID = Data(taskID)
    message.output = Data(repeating: 0x5A, count: 64)
    message.executionTimeUs = 1_234
    message.requestDigest = Data(requestDigest)
    return message
}

private func makeTaskCancel() -> Grid_V1_TaskCancel {
    var message = Grid_V1_TaskCancel()
    message.taskID = Data(taskID)
    message.reason = "requester gave up"
    return message
}

/// A TrustReport of 10 entries.
private func makeTrustReport() -> Grid_V1_TrustReport {
    var message = Grid_V1_TrustReport()
    message.epoch = 42
    message.entries = peerIDs.enumerated().map { index, id in
        var entry = Grid_V1_TrustEntry()
        entry.nodeID = Data(id)
        entry.trustPpm = UInt32(50_000 + index * 1_000)
        return entry
    }
    return message
}

// MARK: - The two paths

/// The send path, as a node runs it (NodeContext.sealed → EnvelopeSealer.claim, then
/// SecureFrameWriter): build the message, serialize it, sign it (pooled nonce, wall-clock
/// timestamp) into the encoded Frame, and encrypt that into the ByteBuffer handed to the channel.
@inline(__always)
private func send<M: WireMessage>(
    _ make: () -> M, by sealer: EnvelopeSealer, cipher: inout FrameCipher
) throws -> ByteBuffer {
    let claim = try sealer.claim(make())
    return try cipher.seal(claim, maxFrameBytes: maxFrameBytes, allocator: allocator)
}

/// The receive path, as a node runs it (RawFrameDecoder, PeerConnection, FrameDispatcher): cut the
/// body out of the inbound buffer, decrypt and parse the Frame, check the envelope's signature,
/// and parse the payload.
@inline(__always)
private func receive<M: WireMessage>(
    _ type: M.Type, from inbound: ByteBuffer, cipher: inout FrameCipher
) throws -> M {
    var buffer = inbound  // a copy of the struct; the storage is shared, not copied
    guard let body = try RawFrameDecoder.nextBody(from: &buffer, maxBodyBytes: maxBodyBytes) else {
        fatalError("the fixture holds one whole frame")
    }
    let frame = try cipher.open(body.readableBytesView)
    guard case .envelope(let envelope)? = frame.body else { fatalError("the fixture is an envelope frame") }
    return try envelope.verify().decode(M.self)
}

/// One sealed frame, as it arrives: encrypted under `sessionKey` at counter 0.
private func inboundFrame<M: WireMessage>(_ make: () -> M, by sealer: EnvelopeSealer) -> ByteBuffer {
    var cipher = FrameCipher(key: sessionKey)
    return try! send(make, by: sealer, cipher: &cipher)
}

// MARK: - Handshake

/// A frame as the shell sends it during the handshake (plain, length-prefixed) and as the other
/// side's decoder cuts and parses it.
@inline(__always)
private func overTheWire(_ frame: Grid_V1_Frame) throws -> Grid_V1_Frame {
    var buffer = allocator.buffer(bytes: try PlainFrame.encode(frame, maxFrameBytes: maxFrameBytes))
    guard let body = try RawFrameDecoder.nextBody(from: &buffer, maxBodyBytes: maxBodyBytes) else {
        fatalError("one whole frame")
    }
    return try PlainFrame.parse(body.readableBytesView)
}

/// Carries out one side's actions: frames go to `outbox`, keys become that side's ciphers.
@inline(__always)
private func perform(
    _ actions: [HandshakeMachine.Action], outbox: inout [Grid_V1_Frame],
    sendCipher: inout FrameCipher?, receiveCipher: inout FrameCipher?
) {
    for action in actions {
        switch action {
        case .send(let frame): outbox.append(frame)
        case .startEncrypting(let key): sendCipher = FrameCipher(key: key)
        case .established(_, let key): receiveCipher = FrameCipher(key: key)
        case .fail(let error, _): fatalError("handshake failed: \(error)")
        }
    }
}

/// Both sides of one handshake, from fresh ephemeral keys to both established.
@inline(__always)
private func handshake(dialer: SigningIdentity, listener: SigningIdentity) throws {
    var a = HandshakeMachine(
        .init(identity: dialer, isDialer: true, networkID: "grid-main", listenAddress: "10.0.0.1:7946"),
        ephemeral: EphemeralKeyPair())
    var b = HandshakeMachine(
        .init(identity: listener, isDialer: false, networkID: "grid-main", listenAddress: "10.0.0.2:7946"),
        ephemeral: EphemeralKeyPair())
    var toB: [Grid_V1_Frame] = [], toA: [Grid_V1_Frame] = []
    var aSend: FrameCipher?, aReceive: FrameCipher?, bSend: FrameCipher?, bReceive: FrameCipher?
    perform(a.start(), outbox: &toB, sendCipher: &aSend, receiveCipher: &aReceive)
    perform(b.start(), outbox: &toA, sendCipher: &bSend, receiveCipher: &bReceive)
    while !(a.isEstablished && b.isEstablished) {
        guard !toA.isEmpty || !toB.isEmpty else { fatalError("handshake stalled") }
        let forA = toA, forB = toB
        toA = []
        toB = []
        for frame in forA { perform(a.receive(try overTheWire(frame)), outbox: &toB, sendCipher: &aSend, receiveCipher: &aReceive) }
        for frame in forB { perform(b.receive(try overTheWire(frame)), outbox: &toA, sendCipher: &bSend, receiveCipher: &bReceive) }
    }
    precondition(aSend != nil && aReceive != nil && bSend != nil && bReceive != nil, "both sides hold both keys")
}

// MARK: - Benchmarks

let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal]
    /// One operation per sample: for everything that signs or verifies (tens of µs).
    let perOperation = Benchmark.Configuration(
        metrics: metrics, timeUnits: .nanoseconds, warmupIterations: 50, scalingFactor: .one, maxDuration: .seconds(2),
        maxIterations: 1_000_000)
    /// 1000 operations per sample: for sub-µs operations, so the clock's cost does not show.
    let perThousand = Benchmark.Configuration(
        metrics: metrics, timeUnits: .nanoseconds, warmupIterations: 5, scalingFactor: .kilo, maxDuration: .seconds(2),
        maxIterations: 1_000_000)

    let identity = SigningIdentity()
    let author = identity.nodeID
    let sealer = EnvelopeSealer(identity: identity)

    // The baseline: bare Ed25519 over exactly as many bytes as a small TaskRequest's envelope signs.
    let probe = try! sealer.envelope(makeTaskRequest())
    let signedByteCount = try! probe.signedBytes().count
    let message = (0..<signedByteCount).map { UInt8(truncatingIfNeeded: $0 &* 13) }
    let signature = identity.sign(message)

    Benchmark("libsodium sign (\(signedByteCount) bytes)", configuration: perOperation) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(identity.sign(message))
        }
    }
    Benchmark("libsodium verify (\(signedByteCount) bytes)", configuration: perOperation) { benchmark in
        for _ in benchmark.scaledIterations {
            precondition(Ed25519.verify(signature: signature, of: message, by: author))
        }
    }

    // Send and receive paths per payload type.
    func paths<M: WireMessage>(_ name: String, _ make: @escaping () -> M) {
        var sendCipher = FrameCipher(key: sessionKey)
        Benchmark("encode+sign \(name)", configuration: perOperation) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try send(make, by: sealer, cipher: &sendCipher))
            }
        }
        // The receiver's counter must match the frame's. Each operation opens the same frame
        // (sealed at counter 0) with a FrameCipher made for it: the cipher is a struct holding the
        // key array, so making one is a retain, measured below as "FrameCipher init (harness)".
        let inbound = inboundFrame(make, by: sealer)
        Benchmark("decode+verify \(name)", configuration: perOperation) { benchmark in
            for _ in benchmark.scaledIterations {
                var receiveCipher = FrameCipher(key: sessionKey)
                blackHole(try receive(M.self, from: inbound, cipher: &receiveCipher))
            }
        }
    }
    // The same two paths, each interleaved with the bare operation it is compared with: bare,
    // wire, wire, bare in every iteration, each timed on its own. Separate benchmarks run seconds
    // apart, and on a shared VM the CPU's speed drifts by more than the 15% being checked between
    // them; interleaved, both sides of the ratio see the same machine. The bare operation signs or
    // verifies as many bytes as this type's envelope signs.
    func paired<M: WireMessage>(_ name: String, _ make: @escaping () -> M) {
        let envelope = try! sealer.envelope(make())
        let bytes = try! envelope.signedBytes().map { $0 ^ 0x55 }
        let bytesSignature = identity.sign(bytes)
        let bare = BenchmarkMetric.custom("bare (ns)")
        let wire = BenchmarkMetric.custom("wire (ns)")
        let ratio = BenchmarkMetric.custom("wire/bare x1000")
        let configuration = Benchmark.Configuration(
            metrics: [.wallClock, bare, wire, ratio], timeUnits: .nanoseconds,
            units: [bare: .count, wire: .count, ratio: .count], warmupIterations: 50, scalingFactor: .one,
            maxDuration: .seconds(2), maxIterations: 1_000_000)
        func record(_ benchmark: Benchmark, _ t: [UInt64]) {
            let bareNs = (t[1] - t[0] + t[4] - t[3]) / 2
            let wireNs = (t[3] - t[1]) / 2
            benchmark.measurement(bare, Int(bareNs))
            benchmark.measurement(wire, Int(wireNs))
            benchmark.measurement(ratio, Int(wireNs * 1000 / max(bareNs, 1)))
        }
        var sendCipher = FrameCipher(key: sessionKey)
        Benchmark("paired \(name): sign (\(bytes.count) bytes) vs encode+sign", configuration: configuration) { benchmark in
            var t = [UInt64](repeating: 0, count: 5)
            t[0] = nanoseconds()
            blackHole(identity.sign(bytes))
            t[1] = nanoseconds()
            blackHole(try send(make, by: sealer, cipher: &sendCipher))
            t[2] = nanoseconds()
            blackHole(try send(make, by: sealer, cipher: &sendCipher))
            t[3] = nanoseconds()
            blackHole(identity.sign(bytes))
            t[4] = nanoseconds()
            record(benchmark, t)
        }
        let inbound = inboundFrame(make, by: sealer)
        Benchmark("paired \(name): verify (\(bytes.count) bytes) vs decode+verify", configuration: configuration) { benchmark in
            var t = [UInt64](repeating: 0, count: 5)
            t[0] = nanoseconds()
            precondition(Ed25519.verify(signature: bytesSignature, of: bytes, by: author))
            t[1] = nanoseconds()
            var first = FrameCipher(key: sessionKey)
            blackHole(try receive(M.self, from: inbound, cipher: &first))
            t[2] = nanoseconds()
            var second = FrameCipher(key: sessionKey)
            blackHole(try receive(M.self, from: inbound, cipher: &second))
            t[3] = nanoseconds()
            precondition(Ed25519.verify(signature: bytesSignature, of: bytes, by: author))
            t[4] = nanoseconds()
            record(benchmark, t)
        }
    }

    func register<M: WireMessage>(_ name: String, _ make: @escaping () -> M) {
        paths(name, make)
        paired(name, make)
    }
    register("SkillAnnouncement", makeSkillAnnouncement)
    register("PeerRecord", makePeerRecord)
    register("TaskRequest", makeTaskRequest)
    register("TaskAck", makeTaskAck)
    register("TaskResult", makeTaskResult)
    register("TaskCancel", makeTaskCancel)
    register("TrustReport", makeTrustReport)

    // The decode harness's own cost: one FrameCipher per operation.
    Benchmark("FrameCipher init (harness)", configuration: perThousand) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(FrameCipher(key: sessionKey))
        }
    }

    // A full handshake, both sides' work: two Hellos, two proofs, both established.
    let dialer = SigningIdentity()
    let listener = SigningIdentity()
    Benchmark("full handshake", configuration: perOperation) { benchmark in
        for _ in benchmark.scaledIterations {
            try handshake(dialer: dialer, listener: listener)
        }
    }

    // A control frame, unsigned, for contrast: only serialization and encryption.
    var pingCipher = FrameCipher(key: sessionKey)
    Benchmark("encode+encrypt Ping", configuration: perThousand) { benchmark in
        for index in benchmark.scaledIterations {
            var ping = Grid_V1_Ping()
            ping.nonce = UInt64(index) &* 0x9E37_79B9_7F4A_7C15
            var frame = Grid_V1_Frame()
            frame.ping = ping
            blackHole(try pingCipher.seal(frame, maxFrameBytes: maxFrameBytes, allocator: allocator))
        }
    }
    let inboundPing: ByteBuffer = {
        var ping = Grid_V1_Ping()
        ping.nonce = 0x9E37_79B9_7F4A_7C15
        var frame = Grid_V1_Frame()
        frame.ping = ping
        var cipher = FrameCipher(key: sessionKey)
        return try! cipher.seal(frame, maxFrameBytes: maxFrameBytes, allocator: allocator)
    }()
    Benchmark("decrypt+decode Ping", configuration: perThousand) { benchmark in
        for _ in benchmark.scaledIterations {
            var buffer = inboundPing
            guard let body = try RawFrameDecoder.nextBody(from: &buffer, maxBodyBytes: maxBodyBytes) else { fatalError() }
            var cipher = FrameCipher(key: sessionKey)
            guard case .ping(let ping)? = try cipher.open(body.readableBytesView).body else { fatalError() }
            blackHole(ping.nonce)
        }
    }

    // Where a small TaskRequest's time goes, stage by stage (each stage alone; they add up to
    // roughly the two paths above).
    Benchmark("stage TaskRequest: build+serialize payload", configuration: perThousand) { benchmark in
        for _ in benchmark.scaledIterations {
            let bytes: [UInt8] = try makeTaskRequest().serializedBytes()
            blackHole(bytes)
        }
    }
    Benchmark("stage TaskRequest: claim (serialize+sign+encode)", configuration: perOperation) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try sealer.claim(makeTaskRequest()))
        }
    }
    var envelopeFrame = Grid_V1_Frame()
    envelopeFrame.envelope = probe
    let probeClaim = try! sealer.claim(makeTaskRequest())
    var stageCipher = FrameCipher(key: sessionKey)
    Benchmark("stage TaskRequest: claim encrypt", configuration: perThousand) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try stageCipher.seal(probeClaim, maxFrameBytes: maxFrameBytes, allocator: allocator))
        }
    }
    let inboundProbe: ByteBuffer = {
        var cipher = FrameCipher(key: sessionKey)
        return try! cipher.seal(envelopeFrame, maxFrameBytes: maxFrameBytes, allocator: allocator)
    }()
    Benchmark("stage TaskRequest: frame decrypt+parse", configuration: perThousand) { benchmark in
        for _ in benchmark.scaledIterations {
            var buffer = inboundProbe
            guard let body = try RawFrameDecoder.nextBody(from: &buffer, maxBodyBytes: maxBodyBytes) else { fatalError() }
            var cipher = FrameCipher(key: sessionKey)
            blackHole(try cipher.open(body.readableBytesView))
        }
    }
    Benchmark("stage TaskRequest: envelope verify", configuration: perOperation) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try probe.verify())
        }
    }
    let nonces = EnvelopeNonces()
    Benchmark("stage TaskRequest: nonce (EnvelopeNonces, 16 bytes)", configuration: perThousand) { benchmark in
        var nonce: (UInt64, UInt64) = (0, 0)  // on the stack, as EnvelopeSealer.claim draws it
        for _ in benchmark.scaledIterations {
            withUnsafeMutableBytes(of: &nonce) { nonces.next(into: $0) }
            blackHole(nonce.0)
        }
    }
    // Bare ChaCha20-Poly1305 over a plaintext the size of the TaskRequest envelope frame: the
    // encryption inside "frame serialize+encrypt" / "frame decrypt+parse", without serialization.
    let framePlaintext: [UInt8] = try! envelopeFrame.serializedBytes()
    let frameNonce = [UInt8](repeating: 0, count: ChaCha20Poly1305.nonceByteCount)
    let frameAD: [UInt8] = [0, 0, 0, UInt8(framePlaintext.count + ChaCha20Poly1305.tagByteCount)]
    let frameCiphertext = ChaCha20Poly1305.seal(framePlaintext, key: sessionKey, nonce: frameNonce, associatedData: frameAD)
    Benchmark("stage TaskRequest: bare ChaCha20-Poly1305 seal (\(framePlaintext.count) bytes)", configuration: perThousand) {
        benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(ChaCha20Poly1305.seal(framePlaintext, key: sessionKey, nonce: frameNonce, associatedData: frameAD))
        }
    }
    Benchmark("stage TaskRequest: bare ChaCha20-Poly1305 open (\(framePlaintext.count) bytes)", configuration: perThousand) {
        benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(ChaCha20Poly1305.open(frameCiphertext, key: sessionKey, nonce: frameNonce, associatedData: frameAD)!)
        }
    }
    let verifiedProbe = try! probe.verify()
    Benchmark("stage TaskRequest: payload decode", configuration: perThousand) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try verifiedProbe.decode(Grid_V1_TaskRequest.self))
        }
    }
}
