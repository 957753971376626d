#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GridCore
import GridLocalAPI

/// The directory that holds everything of one node: identity, config, database, local socket.
public struct DataDirectory: Sendable, Equatable {
    public let path: String

    public init(path: String) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// `explicit` when given, else `$GRIDNODE_HOME`, else `~/.gridnode`.
    public static func resolve(_ explicit: String?, environment: [String: String]) -> DataDirectory {
        if let explicit, !explicit.isEmpty { return DataDirectory(path: explicit) }
        if let home = environment["GRIDNODE_HOME"], !home.isEmpty { return DataDirectory(path: home) }
        return DataDirectory(path: (environment["HOME"] ?? ".") + "/.gridnode")
    }

    public var identityPath: String { path + "/identity.key" }
    public var configPath: String { path + "/config.json" }
    public var databasePath: String { path + "/grid.sqlite" }
    public var socketPath: String { path + "/" + LocalAPI.socketFileName }
    public var lockPath: String { path + "/gridnode.lock" }
    /// The node's latest metrics snapshot (JSON), rewritten every `metricsSnapshotIntervalMs`.
    public var metricsPath: String { path + "/metrics.json" }
    /// Where command skills (and `gridnode serve`) get their per-task work directories: `DIR/work`.
    public var workPath: String { path + "/work" }

    /// Creates the directory (and its parents) with mode 0700, or tightens an existing one to 0700.
    public func create() throws(GridError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0, errno != EEXIST {
                throw GridError(.dataDirectory, "cannot create \(prefix): \(String(cString: strerror(errno)))")
            }
        }
        guard chmod(path, 0o700) == 0 else {
            throw GridError(.dataDirectory, "cannot set mode 0700 on \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Takes an exclusive lock on the directory for this process's lifetime, so two nodes never
    /// share one identity, database and socket. The lock goes when the process ends.
    public func lockForNode() throws(GridError) -> DataDirectoryLock {
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw GridError(.dataDirectory, "cannot open \(lockPath): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw GridError(.dataDirectoryBusy, "another gridnode is running with data directory \(path); stop it first or use another --data-dir")
        }
        return DataDirectoryLock(fd: fd)
    }
}

/// Held while a node runs; ``release()`` lets another node use the directory.
public final class DataDirectoryLock: @unchecked Sendable {
    private var fd: Int32

    init(fd: Int32) { self.fd = fd }

    public func release() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    deinit { release() }
}

extension GridError.Code {
    public static let dataDirectory = Self("datadir.unusable")
    public static let dataDirectoryBusy = Self("datadir.busy")
}
