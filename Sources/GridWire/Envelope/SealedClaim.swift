import GridCore

/// A claim signed by ``EnvelopeSealer`` and encoded as the body of a `grid.v1.Frame` whose `body`
/// is the envelope: the bytes a connection encrypts and sends.
///
/// The encoding is the one SwiftProtobuf writes for `Frame { envelope }` (fields in number order,
/// empty fields left out), written by hand because the send path runs for every claim and the
/// generic encoder's visitors and copies cost as much as a tenth of the signature itself
/// (docs/BENCHMARKS.md). A test checks the two encodings agree byte for byte.
public struct SealedClaim: Sendable {
    /// The serialized Frame.
    public let frameBody: [UInt8]

    /// The Frame as it would be parsed on the other side (for tests and logs).
    public func frame() throws(GridError) -> Grid_V1_Frame {
        try PlainFrame.parse(frameBody)
    }
}

/// The protobuf wire encoding of `Frame { envelope = SignedEnvelope { … } }`.
enum ClaimEncoding {
    // Tags: field number << 3 | wire type (0 varint, 2 length-delimited).
    static let frameEnvelopeTag: UInt8 = 3 << 3 | 2
    static let authorTag: UInt8 = 1 << 3 | 2
    static let payloadTypeTag: UInt8 = 2 << 3 | 2
    static let payloadTag: UInt8 = 3 << 3 | 2
    static let timestampTag: UInt8 = 4 << 3 | 0
    static let nonceTag: UInt8 = 5 << 3 | 2
    static let signatureTag: UInt8 = 6 << 3 | 2

    /// Frame body bytes with the envelope's fields; `sign` fills the last 64 bytes (the signature).
    static func frameBody(
        author: [UInt8], payloadType: String, payload: [UInt8], timestampMs: UInt64, nonce: UnsafeRawBufferPointer,
        signatureByteCount: Int, sign: (UnsafeMutableRawBufferPointer) -> Void
    ) -> [UInt8] {
        let typeCount = payloadType.utf8.count
        var envelopeCount = field(author.count) + field(typeCount) + field(nonce.count) + field(signatureByteCount)
        if !payload.isEmpty { envelopeCount += field(payload.count) }
        if timestampMs != 0 { envelopeCount += 1 + varintSize(timestampMs) }

        var out: [UInt8] = []
        out.reserveCapacity(1 + varintSize(UInt64(envelopeCount)) + envelopeCount)
        out.append(frameEnvelopeTag)
        appendVarint(UInt64(envelopeCount), to: &out)
        out.append(authorTag)
        appendVarint(UInt64(author.count), to: &out)
        out += author
        out.append(payloadTypeTag)
        appendVarint(UInt64(typeCount), to: &out)
        out += payloadType.utf8
        if !payload.isEmpty {
            out.append(payloadTag)
            appendVarint(UInt64(payload.count), to: &out)
            out += payload
        }
        if timestampMs != 0 {
            out.append(timestampTag)
            appendVarint(timestampMs, to: &out)
        }
        out.append(nonceTag)
        appendVarint(UInt64(nonce.count), to: &out)
        out += nonce
        out.append(signatureTag)
        appendVarint(UInt64(signatureByteCount), to: &out)
        let signatureStart = out.count
        out.append(contentsOf: repeatElement(0, count: signatureByteCount))
        out.withUnsafeMutableBytes { sign(UnsafeMutableRawBufferPointer(rebasing: $0[signatureStart...])) }
        return out
    }

    /// Bytes of a length-delimited field of `count` bytes with a one-byte tag.
    private static func field(_ count: Int) -> Int { 1 + varintSize(UInt64(count)) + count }

    static func varintSize(_ value: UInt64) -> Int {
        // 7 bits per byte; 0 still takes one byte.
        max(1, (64 - value.leadingZeroBitCount + 6) / 7)
    }

    static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }
}
