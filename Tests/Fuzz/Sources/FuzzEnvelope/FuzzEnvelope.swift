// libFuzzer target: signed envelopes — Grid_V1_SignedEnvelope.verify, VerifiedEnvelope.decode and
// ReplayGuard.admit, as FrameDispatcher runs them on every envelope a peer sends.
//
// The first input byte picks the mode:
// - even: the rest is a serialized SignedEnvelope as received (the vectors' envelopes verify);
// - odd: the rest supplies the fields of an envelope that the harness then signs with a real
//   key, so the signature check passes (or, when asked, fails narrowly) and the fuzzer reaches
//   everything after it with arbitrary payload types, timestamps, nonces and payloads:
//
//       byte 1      payload type: an index into `payloadTypes`
//       bytes 2-9   timestamp_ms, big-endian
//       byte 10     flags: bit 0 flip one bit after signing (byte 11 says which),
//                   bit 1 sign with another key than the author's, bit 2 nonce length byte 11 % 32
//       byte 11     bit index / nonce length
//       bytes 12-27 nonce
//       rest        payload
//
// Every envelope that verifies is decoded as each payload type (through VerifiedEnvelope.decode,
// which must refuse every type but its own, and directly), then admitted to a fresh ReplayGuard
// whose clock is near the vectors' timestamps; a second admission of the same claim must be
// refused as a replay.
import Foundation
import GridCore
import GridCrypto
import GridWire
import SwiftProtobuf

/// The vectors' signer (Protocol/vectors/envelope_*.json, seed 01…01).
private let author = try! SigningIdentity(seed: [UInt8](repeating: 1, count: 32))
private let other = try! SigningIdentity(seed: [UInt8](repeating: 2, count: 32))
/// The node's clock: one second after the vectors' timestamp_ms, and started an hour before.
private let nowMs: UInt64 = 1_790_000_001_000
private let startedAtMs: UInt64 = 1_789_996_400_000

private let payloadTypes: [String] = [
    Grid_V1_PeerRecord.protoMessageName, Grid_V1_SkillAnnouncement.protoMessageName,
    Grid_V1_TaskRequest.protoMessageName, Grid_V1_TaskAck.protoMessageName,
    Grid_V1_TaskResult.protoMessageName, Grid_V1_TaskCancel.protoMessageName,
    Grid_V1_TrustReport.protoMessageName, Grid_V1_TaskProgress.protoMessageName,
    Grid_V1_ConvictionEvidence.protoMessageName,
    // Types that verify but no handler knows, or that must be refused as malformed.
    Grid_V1_Frame.protoMessageName, "grid.v2.Future", "", "grid v1", "grid.v1.\u{7f}", "é",
    String(repeating: "t", count: 255), String(repeating: "t", count: 256),
]

/// GRID_FUZZ_TRACE=1: print what each input did (for reading a corpus or a reproducer).
private let trace = getenv("GRID_FUZZ_TRACE") != nil

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("harness check failed: \(message())") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = UnsafeRawBufferPointer(start: start, count: count)
    guard let mode = data.first else { return 0 }
    if mode & 1 == 0 {
        guard let envelope = try? Grid_V1_SignedEnvelope(serializedBytes: Array(data.dropFirst())) else { return 0 }
        exercise(envelope)
    } else {
        exercise(sealed(from: Array(data.dropFirst())))
    }
    return 0
}

/// An envelope built and signed from the input's fields (see the layout above).
private func sealed(from input: [UInt8]) -> Grid_V1_SignedEnvelope {
    var input = input[...]
    func take(_ n: Int) -> [UInt8] {
        let bytes = Array(input.prefix(n)) + [UInt8](repeating: 0, count: max(0, n - input.count))
        input = input.dropFirst(n)
        return bytes
    }
    let type = payloadTypes[Int(take(1)[0]) % payloadTypes.count]
    let timestamp = take(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    let flags = take(1)[0]
    let index = Int(take(1)[0])
    var nonce = take(16)
    if flags & 4 != 0 { nonce = Array((nonce + nonce).prefix(index % 32)) }
    let payload = Array(input)

    var envelope = Grid_V1_SignedEnvelope()
    envelope.author = Data(author.nodeID.bytes)
    envelope.payloadType = type
    envelope.payload = Data(payload)
    envelope.timestampMs = timestamp
    envelope.nonce = Data(nonce)
    let signer = flags & 2 != 0 ? other : author
    if let signed = try? envelope.signedBytes() {
        var signature = signer.sign(signed)
        if flags & 1 != 0 {
            let bit = index % (8 * (signature.count + max(payload.count, 1)))
            if bit < 8 * signature.count {
                signature[bit / 8] ^= 1 << (bit % 8)
            } else if !payload.isEmpty {
                var tampered = payload
                tampered[bit / 8 - signature.count] ^= 1 << (bit % 8)
                envelope.payload = Data(tampered)
            }
        }
        envelope.signature = Data(signature)
    } else {
        envelope.signature = Data(signer.sign(payload))
    }
    return envelope
}

private func exercise(_ envelope: Grid_V1_SignedEnvelope) {
    let claim: VerifiedEnvelope
    do {
        claim = try envelope.verify()
    } catch {
        if trace { print("verify: \(error.code)") }
        check(
            [.envelopeMalformed, .badSignature].contains(error.code), "verify threw \(error.code): \(error.message)")
        return
    }
    if trace { print("verified a \(claim.payloadType), timestamp_ms \(claim.timestampMs)") }
    check(claim.author.bytes == Array(envelope.author), "the verified author is not the envelope's")
    check(claim.nonce.count == EnvelopeSigning.nonceByteCount, "a verified nonce is \(claim.nonce.count) bytes")
    // A verified envelope still verifies after a serialize/parse round-trip.
    if let bytes: [UInt8] = try? envelope.serializedBytes(), let again = try? Grid_V1_SignedEnvelope(serializedBytes: bytes) {
        check((try? again.verify()) != nil, "a verified envelope no longer verifies after a round-trip")
    } else {
        check(false, "a verified envelope does not round-trip")
    }

    decode(claim, as: Grid_V1_PeerRecord.self)
    decode(claim, as: Grid_V1_SkillAnnouncement.self)
    decode(claim, as: Grid_V1_TaskRequest.self)
    if let ack = decode(claim, as: Grid_V1_TaskAck.self) { _ = ack.reason.name }
    if let result = decode(claim, as: Grid_V1_TaskResult.self) { _ = result.taskOutcome }
    decode(claim, as: Grid_V1_TaskCancel.self)
    if let progress = decode(claim, as: Grid_V1_TaskProgress.self) { _ = try? TaskProgressMessage(progress) }
    decode(claim, as: Grid_V1_TrustReport.self)
    if let evidence = decode(claim, as: Grid_V1_ConvictionEvidence.self) {
        _ = try? ConvictionEvidenceMessage(evidence, maxBytes: 1 << 20)  // every inner signature and rule checked
    }

    var guardian = ReplayGuard(skewMs: 60_000, capacity: 2, notBeforeMs: startedAtMs)
    do {
        try guardian.admit(claim, nowMs: nowMs)
    } catch {
        if trace { print("admit: \(error.code)") }
        check(error.code == .staleClaim, "a first admission threw \(error.code)")
        return
    }
    if trace { print("admitted") }
    check(guardian.count == 1, "the guard holds \(guardian.count) claims after one")
    do {
        try guardian.admit(claim, nowMs: nowMs + 1)
        check(false, "the same claim was admitted twice")
    } catch {
        check(error.code == .replayedClaim, "a replay was refused as \(error.code), not as a replay")
    }
}

/// The payload as `M` through VerifiedEnvelope.decode, which only accepts its own type, and
/// parsed directly whatever the type.
@discardableResult
private func decode<M: SwiftProtobuf.Message>(_ claim: VerifiedEnvelope, as type: M.Type) -> M? {
    _ = try? M(serializedBytes: claim.payload)
    do {
        let message = try claim.decode(M.self)
        check(claim.payloadType == M.protoMessageName, "decode(\(M.self)) accepted a \(claim.payloadType)")
        return message
    } catch {
        check(
            error.code == (claim.payloadType == M.protoMessageName ? .envelopeMalformed : .unexpectedPayload),
            "decode(\(M.self)) of a \(claim.payloadType) threw \(error.code)")
        return nil
    }
}
