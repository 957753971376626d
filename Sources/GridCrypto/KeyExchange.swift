import CSodium
import GridCore

/// An ephemeral X25519 key pair for one handshake (libsodium `crypto_kx`). The secret half is
/// wiped when the value goes away; a new pair is made for every connection (forward secrecy).
public final class EphemeralKeyPair: @unchecked Sendable {
    public static let byteCount = Int(crypto_kx_PUBLICKEYBYTES)

    public let publicKey: [UInt8]
    // Written once in init, wiped in deinit, read-only in between.
    private let secretKey: UnsafeMutablePointer<UInt8>

    /// A fresh random pair.
    public init() {
        Sodium.ensureInitialized()
        secretKey = .allocate(capacity: Int(crypto_kx_SECRETKEYBYTES))
        var publicKey = [UInt8](repeating: 0, count: Self.byteCount)
        _ = crypto_kx_keypair(&publicKey, secretKey)
        self.publicKey = publicKey
    }

    /// The pair derived from `seed` (32 bytes): for test vectors only.
    public init(seed: [UInt8]) throws(GridError) {
        Sodium.ensureInitialized()
        guard seed.count == Int(crypto_kx_SEEDBYTES) else {
            throw GridError(.invalidKey, "an X25519 seed is \(crypto_kx_SEEDBYTES) bytes; got \(seed.count)")
        }
        secretKey = .allocate(capacity: Int(crypto_kx_SECRETKEYBYTES))
        var publicKey = [UInt8](repeating: 0, count: Self.byteCount)
        _ = crypto_kx_seed_keypair(&publicKey, secretKey, seed)
        self.publicKey = publicKey
    }

    deinit {
        sodium_memzero(secretKey, Int(crypto_kx_SECRETKEYBYTES))
        secretKey.deallocate()
    }

    /// The two directions' keys shared with the peer whose ephemeral public key is `peer`.
    /// The dialler takes the client role, the listener the server role, so both get the same
    /// pair with receive and send swapped. Fails on a degenerate peer key.
    public func sessionKeys(peer: [UInt8], asDialer: Bool) throws(GridError) -> SessionKeys {
        guard peer.count == Self.byteCount else {
            throw GridError(.invalidKey, "an X25519 public key is \(Self.byteCount) bytes; got \(peer.count)")
        }
        var receive = [UInt8](repeating: 0, count: Int(crypto_kx_SESSIONKEYBYTES))
        var send = [UInt8](repeating: 0, count: Int(crypto_kx_SESSIONKEYBYTES))
        let status = asDialer
            ? crypto_kx_client_session_keys(&receive, &send, publicKey, secretKey, peer)
            : crypto_kx_server_session_keys(&receive, &send, publicKey, secretKey, peer)
        guard status == 0 else {
            throw GridError(.invalidKey, "the peer's ephemeral key is not usable (a low-order point)")
        }
        return SessionKeys(receive: receive, send: send)
    }
}

/// One key per direction of a connection.
public struct SessionKeys: Sendable, Equatable {
    public var receive: [UInt8]
    public var send: [UInt8]

    public init(receive: [UInt8], send: [UInt8]) {
        self.receive = receive
        self.send = send
    }
}
