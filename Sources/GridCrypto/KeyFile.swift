#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSodium
import GridCore

/// The file that holds a node's secret key: the 8 bytes `GRIDKEY1` then the 32-byte Ed25519 seed,
/// mode 0600. A key file that others can read is refused, as ssh refuses such keys.
public enum KeyFile {
    static let magic = Array("GRIDKEY1".utf8)
    static var size: Int { magic.count + SigningIdentity.seedByteCount }

    /// Writes `identity` to `path`, which must not exist yet unless `replace` is set.
    /// The file is written whole or not at all (temporary file, fsync, rename).
    public static func write(_ identity: SigningIdentity, to path: String, replace: Bool) throws(GridError) {
        if !replace, access(path, F_OK) == 0 {
            throw GridError(.identityExists, "\(path) already holds an identity; pass --force to replace it (the old node ID is lost)")
        }
        let temporary = path + ".tmp"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw posixError("cannot create \(temporary)") }
        var contents = magic + identity.seed
        defer { sodium_memzero(&contents, contents.count) }
        let written = contents.withUnsafeBytes { Glibc_write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == contents.count, synced else {
            unlink(temporary)
            throw posixError("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw posixError("cannot move the key into \(path)")
        }
    }

    /// Reads the identity kept at `path`.
    public static func read(from path: String) throws(GridError) -> SigningIdentity {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw GridError(.identityMissing, "no identity at \(path): run 'gridnode init' first")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw GridError(
                .identityCorrupt,
                "\(path) is not a file (a directory or another kind of entry is there); move it away and restore identity.key from a backup, or run 'gridnode init --force' for a new identity")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw GridError(
                .identityUnsafe,
                "\(path) can be read by other users (mode \(String(info.st_mode & 0o777, radix: 8))); run 'chmod 600 \(path)'")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw posixError("cannot open \(path)") }
        defer { close(fd) }
        var contents = [UInt8](repeating: 0, count: size + 1)
        defer { sodium_memzero(&contents, contents.count) }
        let count = contents.withUnsafeMutableBytes { Glibc_read(fd, $0.baseAddress, $0.count) }
        guard count == size, Array(contents[0..<magic.count]) == magic else {
            throw GridError(.identityCorrupt, "\(path) is not a Grid key file; restore it from a backup or run 'gridnode init --force' for a new identity")
        }
        return try SigningIdentity(seed: Array(contents[magic.count..<size]))
    }

    private static func posixError(_ what: String) -> GridError {
        GridError(.identityIO, "\(what): \(String(cString: strerror(errno)))")
    }
}

// Named wrappers: inside KeyFile, `write`/`read` would resolve to its own static methods.
private func Glibc_write(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, buffer, count)
}

private func Glibc_read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}

extension GridError.Code {
    public static let identityExists = Self("identity.exists")
    public static let identityMissing = Self("identity.missing")
    public static let identityUnsafe = Self("identity.unsafe_permissions")
    public static let identityCorrupt = Self("identity.corrupt")
    public static let identityIO = Self("identity.io")
}
