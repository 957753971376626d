import Foundation
import GridCrypto
import SwiftProtobuf

/// Signs claims as one node: its identity, a wall clock for the timestamps and a pool of nonces.
/// This is the send path a node runs for every claim it makes (and the one the benchmarks time).
public final class EnvelopeSealer: Sendable {
    public let identity: SigningIdentity
    private let author: Data
    private let authorBytes: [UInt8]
    private let nonces: EnvelopeNonces
    private let nowMs: @Sendable () -> UInt64

    /// - Parameter nowMs: milliseconds since the Unix epoch; the system's wall clock by default.
    public init(identity: SigningIdentity, nonces: EnvelopeNonces = EnvelopeNonces(), nowMs: @escaping @Sendable () -> UInt64 = EnvelopeSealer.wallClockMs) {
        self.identity = identity
        author = Data(identity.nodeID.bytes)
        authorBytes = identity.nodeID.bytes
        self.nonces = nonces
        self.nowMs = nowMs
    }

    /// `message` signed by this node, now, under a fresh nonce.
    public func envelope<M: SwiftProtobuf.Message>(_ message: M) throws -> Grid_V1_SignedEnvelope {
        try Grid_V1_SignedEnvelope.seal(message, by: identity, author: author, timestampMs: nowMs(), nonce: nonces.next())
    }

    /// `message` signed by this node, now, under a fresh nonce, and encoded as a frame: the send
    /// path. The payload is serialized once, the nonce stays on the stack, and the signature is
    /// written straight into the frame's bytes.
    public func claim<M: SwiftProtobuf.Message>(_ message: M) throws -> SealedClaim {
        let payload: [UInt8] = try message.serializedBytes()
        let timestampMs = nowMs()
        var nonce: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &nonce) { nonce in
            nonces.next(into: nonce)
            let nonce = UnsafeRawBufferPointer(nonce)
            let signed = EnvelopeSigning.signedBytes(
                payloadType: M.protoMessageName, timestampMs: timestampMs, nonce: nonce, payload: payload)
            let body = ClaimEncoding.frameBody(
                author: authorBytes, payloadType: M.protoMessageName, payload: payload, timestampMs: timestampMs, nonce: nonce,
                signatureByteCount: SigningIdentity.signatureByteCount
            ) { signature in
                signed.withUnsafeBytes { identity.sign($0, into: signature) }
            }
            return SealedClaim(frameBody: body)
        }
    }

    @Sendable public static func wallClockMs() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000
    }
}
