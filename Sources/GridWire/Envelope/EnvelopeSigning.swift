/// The exact bytes an envelope's signature covers (Protocol/README.md, "Signed envelope"):
///
///     "grid/envelope/v1" 0x00            17 bytes, domain separation
///     u8   length of payload_type        1..255
///     payload_type                       ASCII
///     u64  timestamp_ms                  big-endian
///     nonce                              16 bytes
///     u32  length of payload             big-endian
///     payload
///
/// Every field has a fixed size or a length prefix, so no two different envelopes share signed
/// bytes, and the domain keeps these signatures apart from the handshake's.
public enum EnvelopeSigning {
    public static let domain: [UInt8] = Array("grid/envelope/v1".utf8) + [0]
    public static let nonceByteCount = 16
    public static let maxPayloadTypeBytes = 255

    public static func signedBytes(
        payloadType: String, timestampMs: UInt64, nonce: some Collection<UInt8>, payload: some Collection<UInt8>
    ) -> [UInt8] {
        let typeBytes = payloadType.utf8.count
        precondition(typeBytes <= maxPayloadTypeBytes && nonce.count == nonceByteCount, "validated by callers")
        var out: [UInt8] = []
        out.reserveCapacity(domain.count + 1 + typeBytes + 8 + nonce.count + 4 + payload.count)
        out += domain
        out.append(UInt8(typeBytes))
        out += payloadType.utf8
        appendBigEndian(timestampMs, to: &out)
        out += nonce
        appendBigEndian(UInt32(payload.count), to: &out)
        out += payload
        return out
    }

    static func appendBigEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out += $0 }
    }
}
