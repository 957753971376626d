import Foundation
import GridCore
import GridCrypto
import GridWire

// MARK: - Formats of the negative vectors (Protocol/README.md, "Test vectors")

/// `negative/signature_*.json`: an Ed25519 signature `crypto_sign_verify_detached` refuses, and
/// the first of its rules that refuses it (Protocol/README.md, "Signature verification"). Also
/// the format of the one positive control, `signature_mixed_order_key_accepted.json` (no rule).
struct SignatureVector: Codable {
    var description: String
    var rule: String?
    var public_key: String
    var message: String
    var signature: String
}

/// `negative/envelope_*.json`: a plain frame that parses, carrying an envelope the receiver drops
/// for `rule` (a drop reason of "Receiving an envelope").
struct EnvelopeRefusal: Codable {
    var description: String
    var rule: String
    /// The whole length-prefixed plain frame.
    var frame: String
}

/// `negative/frame_*.json`: a frame the receiver refuses (and closes the connection for), either
/// by its 4-byte length prefix alone or by its body.
struct FrameRefusal: Codable {
    var description: String
    var rule: String
    /// The code of the `Error` sent after the handshake.
    var error_code: String
    /// The bytes after the length prefix, for a body that does not parse.
    var body: String?
    /// The 4 length bytes, for a length refused before any body is read.
    var length_prefix: String?
}

/// `negative/hello_*.json`: a Hello the listener of handshake.json refuses with `rule` (an error code).
struct HelloRefusal: Codable {
    var description: String
    var rule: String
    /// The serialized Hello (the bytes inside Frame.hello).
    var hello: String
    /// The plain length-prefixed frame carrying it.
    var hello_frame: String
}

// MARK: - The catalogue

/// Inputs that must be refused, each with the rule that refuses it, beyond the conviction
/// evidence of ``EvidenceFixtures``; deterministic (fixed seeds and scalars, no randomness).
enum NegativeVectorCatalog {
    static let executor = VectorCatalog.executor
    static let timestamp = VectorCatalog.timestamp
    typealias E = Ed25519Arithmetic

    static func all() -> [NamedVector] {
        signatures() + envelopes() + frames() + hellos()
    }

    // MARK: Signatures

    static func signatureVector(
        _ name: String, rule: String?, _ description: String, key: [UInt8], message: String, signature: [UInt8]
    ) -> NamedVector {
        VectorCatalog.named(name, SignatureVector(
            description: description, rule: rule, public_key: Hex.encode(key), message: Hex.encode(Array(message.utf8)),
            signature: Hex.encode(signature)))
    }

    /// k = H(R ‖ A ‖ M) mod L, as the verifier computes it.
    static func challenge(_ r: [UInt8], _ key: [UInt8], _ message: String) -> [UInt8] {
        E.hashToScalar(r + key + Array(message.utf8))
    }

    /// The first of `base`, `base #1`, `base #2`, … whose challenge k for (R, key) has k mod 8 as wanted.
    static func message(_ base: String, r: [UInt8], key: [UInt8], multipleOf8: Bool) -> String {
        for n in 0... {
            let message = n == 0 ? base : "\(base) #\(n)"
            if (challenge(r, key, message)[0] & 7 == 0) == multipleOf8 { return message }
        }
        fatalError("unreachable")
    }

    /// A key with a component of order 8: A = a·B + T.
    static let mixedOrderScalar = E.scalar("grid/negative/mixed_order_key/a")
    static let mixedOrderKey = E.add(E.base(mixedOrderScalar), E.order8)

    /// A signature (R = r·B, S = r + k·a) by the holder of the mixed-order key's a.
    static func mixedOrderSignature(_ message: String, nonce label: String) -> [UInt8] {
        let r = E.scalar(label)
        let big = E.base(r)
        return big + E.plus(r, E.mul(challenge(big, mixedOrderKey, message), mixedOrderScalar))
    }

    static func signatures() -> [NamedVector] {
        // S not canonical: the executor's own signature with L added to S.
        let nonCanonicalMessage = "grid negative vector: the executor signed this; S + L must not verify"
        let valid = executor.sign(Array(nonCanonicalMessage.utf8))
        let twin = Array(valid[0..<32]) + E.addingOrder(Array(valid[32..<64]))

        // R of small order: R = the identity, S = k·a with the executor's secret scalar a. Then
        // [S]B = [k]A = R + [k]A: the equation holds, only the small-order check on R refuses it.
        let smallRMessage = "grid negative vector: R is the identity point"
        let a = E.secretScalar(seed: executor.seed)
        let smallR = E.identity + E.mul(challenge(E.identity, executor.nodeID.bytes, smallRMessage), a)

        // A key that verifies any message: R = s·B, S = s, so [S]B = R = R + [k]A whenever [k]A is
        // the identity: always for the identity key, for an order-8 key when k is a multiple of 8.
        let s = E.scalar("grid/negative/small_order_key/s")
        let anyMessage = E.base(s) + s
        // p + 1, a non-canonical encoding of y = 1 (the identity point): little-endian ee ff … ff 7f.
        let nonCanonicalKey = [0xee] + [UInt8](repeating: 0xff, count: 30) + [0x7f]
        let order8Message = message(
            "grid negative vector: an order-8 key; k is a multiple of 8", r: E.base(s), key: E.order8, multipleOf8: true)

        let mixedMessage = message(
            "grid negative vector: a mixed-order key; k is not a multiple of 8", r: E.base(E.scalar("grid/negative/mixed_order_key/r")),
            key: mixedOrderKey, multipleOf8: false)
        let acceptedMessage = message(
            "grid positive control: a mixed-order key; k is a multiple of 8",
            r: E.base(E.scalar("grid/negative/mixed_order_key/r2")), key: mixedOrderKey, multipleOf8: true)

        return [
            signatureVector(
                "negative/signature_s_not_canonical.json", rule: "s_not_canonical",
                "The executor's (seed 02) valid signature of the message with the group order L added to S: S + L satisfies the same equation, so a verifier that does not require S < L accepts it (malleability)",
                key: executor.nodeID.bytes, message: nonCanonicalMessage, signature: twin),
            signatureVector(
                "negative/signature_small_order_r.json", rule: "small_order_r",
                "The executor's key, R the identity point (01 00 ... 00) and S = k*a (a: the executor's secret scalar): [S]B = R + [k]A holds, so a verifier without libsodium's small-order check on R accepts it",
                key: executor.nodeID.bytes, message: smallRMessage, signature: smallR),
            signatureVector(
                "negative/signature_key_not_canonical.json", rule: "key_not_canonical",
                "The key ee ff ... ff 7f encodes y = p + 1, a non-canonical encoding of the identity point (also of small order; the canonical check comes first); R = s*B, S = s: a verifier that reduces y mod p and checks neither rule accepts it for every message",
                key: nonCanonicalKey, message: "grid negative vector: any message verifies under this key", signature: anyMessage),
            signatureVector(
                "negative/signature_small_order_key.json", rule: "small_order_key",
                "The key is the identity point (01 00 ... 00); R = s*B, S = s: [S]B = R + [k]A for every message, so a verifier without the small-order check on the key accepts this signature of anything",
                key: E.identity, message: "grid negative vector: any message verifies under this key", signature: anyMessage),
            signatureVector(
                "negative/signature_small_order_key_order_8.json", rule: "small_order_key",
                "The key is a point of order 8; R = s*B, S = s, and the message is chosen so that k is a multiple of 8: [k]A is the identity and [S]B = R + [k]A holds, so a verifier that refuses only the identity key (or none) accepts it; a cofactored verifier accepts it for every message",
                key: E.order8, message: order8Message, signature: anyMessage),
            signatureVector(
                "negative/signature_mixed_order_key.json", rule: "mixed_order_key",
                "The key is A = a*B + T with T of order 8 (a mixed-order key, not in libsodium's small-order list); R = r*B, S = r + k*a, with k not a multiple of 8: [8][S]B = [8]R + [8][k]A holds (a cofactored verifier accepts it) but [S]B = R + [k]A does not (libsodium's cofactorless check refuses it)",
                key: mixedOrderKey, message: mixedMessage, signature: mixedOrderSignature(mixedMessage, nonce: "grid/negative/mixed_order_key/r")),
            signatureVector(
                "signature_mixed_order_key_accepted.json", rule: nil,
                "Positive control: the mixed-order key of negative/signature_mixed_order_key.json signing a message whose k is a multiple of 8, so [k]T is the identity and the cofactorless equation holds: libsodium accepts it (a mixed-order key is not refused as such); a verifier that also requires the key to be in the prime-order subgroup refuses it and disagrees with the node",
                key: mixedOrderKey, message: acceptedMessage,
                signature: mixedOrderSignature(acceptedMessage, nonce: "grid/negative/mixed_order_key/r2")),
        ]
    }

    // MARK: Envelopes

    static let peerRecord = Grid_V1_PeerRecord.with { $0.addresses = ["127.0.0.1:7402"]; $0.networkID = "main" }

    /// The signed bytes laid out without any of the size checks, as an implementation that skips
    /// check 2 would build them (the type's length byte truncated to 8 bits).
    static func uncheckedSignedBytes(_ payloadType: [UInt8], _ timestampMs: UInt64, _ nonce: [UInt8], _ payload: [UInt8]) -> [UInt8] {
        var out = EnvelopeSigning.domain + [UInt8(truncatingIfNeeded: payloadType.count)] + payloadType
        withUnsafeBytes(of: timestampMs.bigEndian) { out += $0 }
        out += nonce
        withUnsafeBytes(of: UInt32(payload.count).bigEndian) { out += $0 }
        return out + payload
    }

    /// An envelope by the executor, signed over the unchecked layout of its own fields after `edit`
    /// (unless `edit` sets the signature itself).
    static func envelope(nonce byte: UInt8, _ edit: (inout Grid_V1_SignedEnvelope) -> Void = { _ in }) -> Grid_V1_SignedEnvelope {
        var envelope = Grid_V1_SignedEnvelope()
        envelope.author = Data(executor.nodeID.bytes)
        envelope.payloadType = Grid_V1_PeerRecord.protoMessageName
        envelope.payload = try! peerRecord.serializedBytes()
        envelope.timestampMs = timestamp
        envelope.nonce = Data(repeating: byte, count: 16)
        edit(&envelope)
        if envelope.signature.isEmpty {
            envelope.signature = Data(executor.sign(uncheckedSignedBytes(
                Array(envelope.payloadType.utf8), envelope.timestampMs, Array(envelope.nonce), Array(envelope.payload))))
        }
        return envelope
    }

    static func frameBytes(_ envelope: Grid_V1_SignedEnvelope) -> [UInt8] {
        try! PlainFrame.encode(.with { $0.envelope = envelope }, maxFrameBytes: 1 << 20)
    }

    static func envelopes() -> [NamedVector] {
        let cases: [(String, String, String, Grid_V1_SignedEnvelope)] = [
            ("author_31_bytes", "malformed", "The executor's PeerRecord with its author cut to 31 bytes (check 1); the signature is the executor's over the envelope's signed bytes",
             envelope(nonce: 0xd1) { $0.author = $0.author.prefix(31) }),
            ("nonce_15_bytes", "malformed", "A PeerRecord whose nonce is 15 bytes (check 2), signed over the bytes an implementation without the check would lay out",
             envelope(nonce: 0xd2) { $0.nonce = $0.nonce.prefix(15) }),
            ("payload_type_empty", "malformed", "A PeerRecord payload under an empty payload_type (check 2), signed over the bytes laid out with length 0",
             envelope(nonce: 0xd3) { $0.payloadType = "" }),
            ("payload_type_256_bytes", "malformed", "A payload_type of 256 bytes, 'grid.v1.' then 248 'a' (check 2: at most 255), signed over the bytes laid out with the length byte truncated to 0x00",
             envelope(nonce: 0xd4) { $0.payloadType = "grid.v1." + String(repeating: "a", count: 248) }),
            ("payload_type_space", "malformed", "The payload_type 'grid.v1.Peer Record' holds a space (check 2, before the type is looked up: not unexpected)",
             envelope(nonce: 0xd5) { $0.payloadType = "grid.v1.Peer Record" }),
            ("signature_63_bytes", "bad_signature", "A PeerRecord whose valid signature lost its last byte (check 3: 64 bytes)",
             envelope(nonce: 0xd6) { $0.signature = envelope(nonce: 0xd6).signature.prefix(63) }),
            ("signature_missing", "bad_signature", "A PeerRecord without a signature (check 3)",
             { var e = envelope(nonce: 0xd7); e.signature = Data(); return e }()),
            ("signature_s_not_canonical", "bad_signature", "A PeerRecord whose valid signature has L added to S (check 3; Signature verification: s_not_canonical)",
             envelope(nonce: 0xd8) {
                 let good = Array(envelope(nonce: 0xd8).signature)
                 $0.signature = Data(good[0..<32] + Ed25519Arithmetic.addingOrder(Array(good[32..<64])))
             }),
            ("signature_over_other_bytes", "bad_signature", "A PeerRecord carrying the executor's signature of the same envelope with timestamp_ms + 1 (check 3)",
             envelope(nonce: 0xd9) {
                 $0.signature = Data(executor.sign(uncheckedSignedBytes(
                     Array($0.payloadType.utf8), timestamp + 1, Array($0.nonce), Array($0.payload))))
             }),
            ("unknown_payload_type", "unexpected", "A validly signed envelope of payload_type 'grid.v2.PeerRecord', which is not one of the nine types (check 9)",
             envelope(nonce: 0xda) { $0.payloadType = "grid.v2.PeerRecord" }),
            ("payload_does_not_parse", "malformed", "A validly signed grid.v1.PeerRecord whose payload announces a 16-byte address and holds 3 (check 10)",
             envelope(nonce: 0xdb) { $0.payload = Data([0x0a, 0x10, 0x31, 0x32, 0x37]) }),
            ("payload_not_utf8", "malformed", "A validly signed grid.v1.PeerRecord whose address string holds the byte ff, not UTF-8 (check 10: the payload does not parse; the frame itself parses, since the payload is bytes)",
             envelope(nonce: 0xdc) { $0.payload = Data([0x0a, 0x03, 0x31, 0xff, 0x32, 0x12, 0x04]) + Data("main".utf8) }),
        ]
        return cases.map { name, rule, description, envelope in
            VectorCatalog.named("negative/envelope_\(name).json", EnvelopeRefusal(
                description: description, rule: rule, frame: Hex.encode(frameBytes(envelope))))
        }
    }

    // MARK: Frames

    static func body(_ frame: Grid_V1_Frame) -> [UInt8] { try! frame.serializedBytes() }

    static func frames() -> [NamedVector] {
        let first = envelope(nonce: 0xe1)
        let second = envelope(nonce: 0xe2)
        let ping = body(.with { $0.ping = .with { $0.nonce = 0x0102_0304_0506_0708 } })
        // The envelope's payload field (3) again, after its other fields.
        var envelopeBytes: [UInt8] = try! first.serializedBytes()
        envelopeBytes += [0x1a, 0x02, 0x0a, 0x00]
        var twicePayload: [UInt8] = [0x1a]
        twicePayload += varint(envelopeBytes.count) + envelopeBytes
        // Error{code: MALFORMED, message: "a", ff, "b"}.
        let errorNotUTF8: [UInt8] = [0x22, 0x07, 0x08, 0x06, 0x12, 0x03, 0x61, 0xff, 0x62]
        // An envelope whose payload_type has the byte ff in it.
        var badType: [UInt8] = try! envelope(nonce: 0xe3).serializedBytes()
        let typeBytes = Array(Grid_V1_PeerRecord.protoMessageName.utf8)
        let at = badType.firstIndex(of: typeBytes[0])!  // the payload_type's first byte, "g"
        precondition(Array(badType[at..<at + typeBytes.count]) == typeBytes)
        badType[at + 12] = 0xff  // "grid.v1.Peer" ff "ecord"
        let typeNotUTF8: [UInt8] = [0x1a] + varint(badType.count) + badType

        let malformed = "ERROR_CODE_MALFORMED"
        let cases: [(String, String, String, [UInt8])] = [
            ("two_envelopes", "field_twice", "Two envelopes in one frame (field 3 twice): a decoder that lets the last win would drop the first unseen", body(.with { $0.envelope = first }) + body(.with { $0.envelope = second })),
            ("ping_and_envelope", "two_bodies", "A Ping and an envelope in one frame (fields 5 and 3): two of the body fields", ping + body(.with { $0.envelope = second })),
            ("envelope_payload_twice", "field_twice", "An envelope with its payload field (3) twice: the signed PeerRecord, then the 2 bytes 0a 00", twicePayload),
            ("error_message_not_utf8", "not_utf8", "An Error whose message holds the byte ff: not UTF-8", errorNotUTF8),
            ("payload_type_not_utf8", "not_utf8", "An envelope whose payload_type holds the byte ff ('grid.v1.Peer' ff 'ecord'): the frame does not parse (a space instead is a dropped message, negative/envelope_payload_type_space.json)", typeNotUTF8),
            ("truncated_varint", "not_protobuf", "A Ping whose nonce varint ends with its continuation bit set (2a 02 08 ff)", [0x2a, 0x02, 0x08, 0xff]),
            ("length_past_end", "not_protobuf", "An envelope field announcing 16 bytes with 2 left (1a 10 0a 20)", [0x1a, 0x10, 0x0a, 0x20]),
        ]
        let limit = WireLimits.default.maxFrameBytes + ChaCha20Poly1305.tagByteCount
        return cases.map { name, rule, description, body in
            VectorCatalog.named("negative/frame_\(name).json", FrameRefusal(
                description: description, rule: rule, error_code: malformed, body: Hex.encode(body)))
        } + [
            VectorCatalog.named("negative/frame_length_zero.json", FrameRefusal(
                description: "A length prefix of 0: a frame always holds one field",
                rule: "length_zero", error_code: malformed, length_prefix: "00000000")),
            VectorCatalog.named("negative/frame_length_too_large.json", FrameRefusal(
                description: "A length prefix of \(limit + 1) (maxFrameBytes 4194304 + 16 + 1), refused as soon as the 4 bytes arrive",
                rule: "length_too_large", error_code: "ERROR_CODE_FRAME_TOO_LARGE",
                length_prefix: Hex.encode(withUnsafeBytes(of: UInt32(limit + 1).bigEndian, Array.init)))),
        ]
    }

    static func varint(_ value: Int) -> [UInt8] {
        var value = UInt64(value)
        var out: [UInt8] = []
        while value >= 0x80 {
            out.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        return out + [UInt8(value)]
    }

    // MARK: Hellos

    /// The dialler's Hello of handshake.json (the requester, ephemeral seed 11).
    static var dialerHello: Grid_V1_Hello {
        .with {
            $0.protocolVersion = 1
            $0.minProtocolVersion = 1
            $0.nodeID = Data(VectorCatalog.requester.nodeID.bytes)
            $0.ephemeralKey = Data(try! EphemeralKeyPair(seed: [UInt8](repeating: 0x11, count: 32)).publicKey)
            $0.listenAddress = "127.0.0.1:7401"
            $0.networkID = "main"
        }
    }

    static func hellos() -> [NamedVector] {
        let cases: [(String, String, String, (inout Grid_V1_Hello) -> Void)] = [
            ("protocol_version_0", "ERROR_CODE_MALFORMED",
             "protocol_version 0 and min_protocol_version 0 (both absent): check 2, before the version negotiation (which would say ERROR_CODE_PROTOCOL_VERSION)",
             { $0.protocolVersion = 0; $0.minProtocolVersion = 0 }),
            ("min_version_above_version", "ERROR_CODE_MALFORMED",
             "min_protocol_version 2 above protocol_version 1: check 2", { $0.minProtocolVersion = 2 }),
            ("node_id_31_bytes", "ERROR_CODE_MALFORMED", "node_id cut to 31 bytes: check 5", { $0.nodeID = $0.nodeID.prefix(31) }),
            ("ephemeral_key_zero", "ERROR_CODE_MALFORMED",
             "ephemeral_key of 32 zero bytes, a low-order X25519 point: the shared secret is all zeros and the key exchange fails (check 8)",
             { $0.ephemeralKey = Data(count: 32) }),
            ("ephemeral_key_order_8", "ERROR_CODE_MALFORMED",
             "ephemeral_key e0eb7a7c...b800, an X25519 point of order 8 (not all zeros): the shared secret is all zeros and the key exchange fails (check 8)",
             { $0.ephemeralKey = Data(E.hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")) }),
        ]
        return cases.map { name, rule, description, edit in
            var hello = dialerHello
            edit(&hello)
            let bytes: [UInt8] = try! hello.serializedBytes()
            return VectorCatalog.named("negative/hello_\(name).json", HelloRefusal(
                description: "The dialler's Hello of handshake.json with one change, as the listener of handshake.json receives it: " + description,
                rule: rule, hello: Hex.encode(bytes),
                hello_frame: Hex.encode(try! PlainFrame.encode(.with { $0.hello = Data(bytes) }, maxFrameBytes: 1 << 20))))
        }
    }
}
