#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import GridCore
import GridStore
import Logging

/// How a node opens its task store at start, so that losing the tasks it accepted is never silent.
///
/// With an identity in the data directory (`gridnode init` made both), a missing or 0-byte
/// `grid.sqlite` is refused (`store.missing`), and a damaged store always is (`store.damaged`),
/// unless the operator passed `--new-store`: then whatever is there is moved aside
/// (`grid.sqlite.empty-<UTC time>`, `grid.sqlite.damaged-<UTC time>`, with its `-wal` and `-shm`),
/// never deleted, and an empty store is begun. A sound store is opened as it is, `--new-store` or
/// not. Without an identity file (a node embedded with its identity in code) a missing store is
/// simply created.
enum StoreStartup {
    /// The files SQLite keeps beside the database; moved aside with it, the log first, so a new
    /// store never replays an old log.
    static let companions = ["-wal", "-shm", "-journal"]

    static func open(
        _ directory: DataDirectory, nodeID: NodeID, newStore: Bool, now: Date = Date(), logger: Logger
    ) throws(GridError) -> GridDatabase {
        let path = directory.databasePath
        let stamp = timestamp(now)
        var beganEmpty = false
        if FileManager.default.fileExists(atPath: directory.identityPath) {
            let state: String? =
                switch fileSize(path, following: true) {
                case nil: "is missing"
                case 0: "is empty (0 bytes)"
                default: nil
                }
            if let state {
                guard newStore else {
                    throw GridError(
                        .storeMissing,
                        "\(directory.path) holds node \(nodeID)'s identity but its task store \(path) \(state): the tasks this node accepted earlier are gone. Restore grid.sqlite from a backup, or start with --new-store to begin an empty store for this identity.")
                }
                let kept = try moveAside(path, reason: fileSize(path, following: true) == nil ? "orphaned" : "empty", stamp: stamp)
                beganEmpty = true
                logger.warning(
                    "--new-store: task store \(path) \(state); beginning an empty store for node \(nodeID)\(kept.isEmpty ? "" : ", kept \(kept.joined(separator: ", "))")")
            }
        }
        do throws(GridError) {
            let database = try GridDatabase(path: path)
            if newStore, !beganEmpty {
                logger.notice("--new-store: the task store \(path) is sound; it is kept as it is")
            }
            return database
        } catch where error.code == .storeDamaged {
            guard newStore else {
                throw GridError(
                    .storeDamaged,
                    "\(error.message); the node will not start on it. Move it aside with its -wal and -shm files (e.g. mv \(path) \(path).damaged) and restore a backup, or start with --new-store to begin an empty store for this identity (the damaged file is kept as grid.sqlite.damaged-<timestamp>).")
            }
            let kept = try moveAside(path, reason: "damaged", stamp: stamp)
            logger.warning("--new-store: \(error.message); kept \(kept.joined(separator: ", ")) and beginning an empty store for node \(nodeID)")
            return try GridDatabase(path: path)
        }
    }

    /// Moves `path` and its companions to `<name>.<reason>-<stamp>`, never over an existing file;
    /// returns the new paths (of the files there were), the database's first.
    static func moveAside(_ path: String, reason: String, stamp: String) throws(GridError) -> [String] {
        var kept: [String] = []
        for suffix in companions + [""] where fileSize(path + suffix) != nil {
            let moved = try moveFile(path + suffix, toFree: "\(path)\(suffix).\(reason)-\(stamp)")
            if suffix.isEmpty { kept.insert(moved, at: 0) } else { kept.append(moved) }
        }
        return kept
    }

    /// Renames `from` to `target`, or `target-1`, `target-2`… when that exists: `link` fails on an
    /// existing name where `rename` would replace it.
    static func moveFile(_ from: String, toFree target: String) throws(GridError) -> String {
        for attempt in 0..<100 {
            let name = attempt == 0 ? target : "\(target)-\(attempt)"
            if link(from, name) == 0 {
                guard unlink(from) == 0 else { break }
                return name
            }
            if errno == EEXIST { continue }
            // No hard links here (some file systems): rename, having checked the name is free.
            if fileSize(name) == nil, rename(from, name) == 0 { return name }
            break
        }
        throw GridError(
            .dataDirectory, "cannot move \(from) aside to \(target): \(String(cString: strerror(errno))); move it yourself, then start again")
    }

    /// UTC, to the second: `20250102T030405Z`.
    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d%02d%02dT%02d%02d%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// The size of the file at `path` (of a symbolic link itself unless `following`), or nil when
    /// there is none.
    static func fileSize(_ path: String, following: Bool = false) -> Int? {
        var info = stat()
        guard (following ? stat(path, &info) : lstat(path, &info)) == 0 else { return nil }
        return Int(info.st_size)
    }
}
