import Foundation
import GridCore
import GridCrypto
import SwiftProtobuf

/// A signed envelope whose signature has been checked: its author really made this claim.
public struct VerifiedEnvelope: Sendable {
    public let author: NodeID
    public let payloadType: String
    public let payload: Data
    public let timestampMs: UInt64
    public let nonce: [UInt8]

    /// The payload as `M`; throws if the envelope carries another type or the bytes do not parse.
    public func decode<M: SwiftProtobuf.Message>(_ type: M.Type) throws(GridError) -> M {
        guard payloadType == M.protoMessageName else {
            throw GridError(.unexpectedPayload, "expected a \(M.protoMessageName), got a \(payloadType)")
        }
        do {
            return try M(serializedBytes: payload)
        } catch {
            throw GridError(.envelopeMalformed, "the \(payloadType) payload does not parse: \(error)")
        }
    }
}

extension Grid_V1_SignedEnvelope {
    /// Serializes `message`, signs it as `identity`, and wraps both in an envelope. A node seals
    /// through ``EnvelopeSealer``, which supplies the clock and the nonces.
    public static func seal<M: SwiftProtobuf.Message>(
        _ message: M, by identity: SigningIdentity, timestampMs: UInt64, nonce: [UInt8]
    ) throws -> Grid_V1_SignedEnvelope {
        try seal(message, by: identity, author: Data(identity.nodeID.bytes), timestampMs: timestampMs, nonce: Data(nonce))
    }

    /// The send path: the payload is serialized once and signed straight into the envelope.
    static func seal<M: SwiftProtobuf.Message>(
        _ message: M, by identity: SigningIdentity, author: Data, timestampMs: UInt64, nonce: Data
    ) throws -> Grid_V1_SignedEnvelope {
        precondition(nonce.count == EnvelopeSigning.nonceByteCount, "envelope nonces are 16 bytes")
        let payload: Data = try message.serializedBytes()
        let signed = EnvelopeSigning.signedBytes(
            payloadType: M.protoMessageName, timestampMs: timestampMs, nonce: nonce, payload: payload)
        var signature = Data(count: SigningIdentity.signatureByteCount)
        signed.withUnsafeBytes { signed in
            signature.withUnsafeMutableBytes { identity.sign(signed, into: $0) }
        }
        var envelope = Grid_V1_SignedEnvelope()
        envelope.author = author
        envelope.payloadType = M.protoMessageName
        envelope.payload = payload
        envelope.timestampMs = timestampMs
        envelope.nonce = nonce
        envelope.signature = signature
        return envelope
    }

    /// The bytes the signature covers, once the fields' sizes are known to be valid.
    public func signedBytes() throws(GridError) -> [UInt8] {
        guard nonce.count == EnvelopeSigning.nonceByteCount else {
            throw GridError(.envelopeMalformed, "envelope nonce is \(nonce.count) bytes; it must be \(EnvelopeSigning.nonceByteCount)")
        }
        guard !payloadType.isEmpty, payloadType.utf8.count <= EnvelopeSigning.maxPayloadTypeBytes,
            payloadType.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f })
        else {
            throw GridError(.envelopeMalformed, "envelope payload_type must be 1-255 printable ASCII characters")
        }
        return EnvelopeSigning.signedBytes(
            payloadType: payloadType, timestampMs: timestampMs, nonce: nonce, payload: payload)
    }

    /// Checks the author's signature; a missing or wrong one throws ``GridError/Code/badSignature``.
    public func verify() throws(GridError) -> VerifiedEnvelope {
        let author: NodeID
        do {
            author = try NodeID(bytes: Array(self.author))
        } catch {
            throw GridError(.envelopeMalformed, "envelope author is \(self.author.count) bytes; it must be a 32-byte public key")
        }
        let signed = try signedBytes()
        guard Ed25519.verify(signature: signature, of: signed, by: author) else {
            throw GridError(
                .badSignature,
                signature.isEmpty
                    ? "\(payloadType) from \(author.short) carries no signature"
                    : "\(payloadType) from \(author.short) has a signature that does not verify")
        }
        return VerifiedEnvelope(
            author: author, payloadType: payloadType, payload: payload, timestampMs: timestampMs, nonce: Array(nonce))
    }
}

/// Any message of the wire schema, so the shell can seal payloads without importing SwiftProtobuf.
public typealias WireMessage = SwiftProtobuf.Message
