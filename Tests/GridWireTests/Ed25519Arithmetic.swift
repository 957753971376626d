import CSodium
import GridCrypto

/// Edwards25519 arithmetic from libsodium's `crypto_core_ed25519_*` and
/// `crypto_scalarmult_ed25519_*`, for building the negative signature vectors: signatures no
/// honest signer makes (a small-order R, a small-order or mixed-order key), which some
/// verifiers accept and libsodium's `crypto_sign_verify_detached` refuses. Test code only.
enum Ed25519Arithmetic {
    /// The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian.
    static let order: [UInt8] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
    ]
    /// The neutral element (x = 0, y = 1): order 1.
    static let identity: [UInt8] = [0x01] + [UInt8](repeating: 0, count: 31)
    /// A point of order 8 (one of the two y values of libsodium's small-order list).
    static let order8: [UInt8] = hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")

    static func hex(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            out.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    /// `scalar`·B for a scalar below L (not clamped).
    static func base(_ scalar: [UInt8]) -> [UInt8] {
        var point = [UInt8](repeating: 0, count: 32)
        precondition(crypto_scalarmult_ed25519_base_noclamp(&point, scalar) == 0, "scalar is 0 mod L")
        return point
    }

    /// p + q; any points on the curve (libsodium checks only that).
    static func add(_ p: [UInt8], _ q: [UInt8]) -> [UInt8] {
        var sum = [UInt8](repeating: 0, count: 32)
        precondition(crypto_core_ed25519_add(&sum, p, q) == 0, "not points of the curve")
        return sum
    }

    /// SHA-512 of `bytes` reduced mod L (the k of RFC 8032: H(R ‖ A ‖ M)).
    static func hashToScalar(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 64)
        _ = crypto_hash_sha512(&digest, bytes, UInt64(bytes.count))
        return reduce(digest)
    }

    /// A 64-byte little-endian number mod L.
    static func reduce(_ wide: [UInt8]) -> [UInt8] {
        precondition(wide.count == 64)
        var scalar = [UInt8](repeating: 0, count: 32)
        crypto_core_ed25519_scalar_reduce(&scalar, wide)
        return scalar
    }

    static func mul(_ x: [UInt8], _ y: [UInt8]) -> [UInt8] {
        var z = [UInt8](repeating: 0, count: 32)
        crypto_core_ed25519_scalar_mul(&z, x, y)
        return z
    }

    static func plus(_ x: [UInt8], _ y: [UInt8]) -> [UInt8] {
        var z = [UInt8](repeating: 0, count: 32)
        crypto_core_ed25519_scalar_add(&z, x, y)
        return z
    }

    /// The 32-byte little-endian sum x + L (no reduction): S + L, the malleable twin of S.
    static func addingOrder(_ x: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var carry: UInt16 = 0
        for i in 0..<32 {
            let sum = UInt16(x[i]) + UInt16(order[i]) + carry
            out[i] = UInt8(sum & 0xff)
            carry = sum >> 8
        }
        precondition(carry == 0)
        return out
    }

    /// The secret scalar of an Ed25519 seed (RFC 8032: SHA-512 of the seed, low half clamped), mod L.
    static func secretScalar(seed: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 64)
        _ = crypto_hash_sha512(&digest, seed, UInt64(seed.count))
        var clamped = Array(digest[0..<32])
        clamped[0] &= 248
        clamped[31] &= 127
        clamped[31] |= 64
        return reduce(clamped + [UInt8](repeating: 0, count: 32))
    }

    /// A scalar below L from a label: SHA-512 of it, reduced.
    static func scalar(_ label: String) -> [UInt8] {
        hashToScalar(Array(label.utf8))
    }
}
