import Foundation
import GridCore

/// Reads a settings file (config.json, the bootstrap file) with errors an operator can act on:
/// the system's reason by name (no such file, permission denied, a directory), never a Foundation
/// error number.
enum TextFile {
    /// Largest file read: a settings file is small; anything larger is a mistake.
    static let maxBytes = 16 << 20

    /// The bytes of `path`, or an error with `code` saying why not, naming the file as `what`.
    static func read(_ path: String, what: String, code: GridError.Code) throws(GridError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = errno == ENOENT ? "it does not exist" : String(cString: strerror(errno)).lowercased()
            throw GridError(code, "cannot read \(what) \(path): \(reason)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw GridError(code, "cannot read \(what) \(path): \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            let kind = info.st_mode & S_IFMT == S_IFDIR ? "a directory" : "not a regular file"
            throw GridError(code, "cannot read \(what) \(path): it is \(kind); give the path of a JSON file")
        }
        guard info.st_size <= maxBytes else {
            throw GridError(code, "\(what) \(path) is \(info.st_size) bytes; a settings file is at most \(maxBytes) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw GridError(code, "cannot read \(what) \(path): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            filled += count
        }
        return Array(bytes[..<filled])
    }
}
