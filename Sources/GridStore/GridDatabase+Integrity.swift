import Foundation
import GRDB
import GridCore

extension GridDatabase {
    /// How many problems `PRAGMA quick_check` lists at most, and how many a message names.
    static let quickCheckLimit = 10
    static let problemsNamed = 3

    /// `PRAGMA quick_check`'s findings: `["ok"]` for a sound database, else its problems.
    public func quickCheck() throws(GridError) -> [String] {
        do {
            return try writer.read { db in try Self.quickCheck(db) }
        } catch let error as DatabaseError where Self.isDamage(error) {
            return [error.message ?? "\(error)"]
        } catch {
            throw GridError(.storeUnavailable, "cannot check the database \(writer.path): \(error)")
        }
    }

    /// Judges the store at `path` before it is opened for writing: its write-ahead log
    /// (``WALCheck``), then the database itself, read-only (SQLITE_NOTADB, SQLITE_CORRUPT, or
    /// `PRAGMA quick_check` other than "ok"). Throws `store.damaged`; a missing or empty file passes
    /// (SQLite makes it a new database). Read-only, so a refused store is left as it was: no
    /// checkpoint, no recovery written back.
    public static func checkIntegrity(path: String) throws(GridError) {
        guard let size = fileSize(path), size > 0 else { return }
        let walPath = path + "-wal"
        if let walSize = fileSize(walPath), walSize > 0 {
            guard let bytes = FileManager.default.contents(atPath: walPath) else {
                throw GridError(.storeUnavailable, "cannot read \(walPath); check the data directory's permissions")
            }
            let wal = WALCheck([UInt8](bytes))
            if let problem = wal.problem {
                throw damaged(path, ["its write-ahead log \(walPath): \(problem)"])
            }
        }
        var config = Configuration()
        config.readonly = true
        let problems: [String]
        do {
            let queue = try DatabaseQueue(path: path, configuration: config)
            problems = try queue.read { db in try quickCheck(db) }
            try queue.close()
        } catch let error as DatabaseError where isDamage(error) {
            throw damaged(path, [error.message ?? "\(error)"])
        } catch {
            throw GridError(.storeUnavailable, "cannot open the database \(path): \(error); check the data directory's permissions")
        }
        if problems != ["ok"] {
            throw damaged(path, problems)
        }
    }

    /// One problem a line: SQLite may give several in one row, under a "*** in database main ***" line.
    static func quickCheck(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "PRAGMA quick_check(\(quickCheckLimit))")
            .flatMap { $0.split(separator: "\n").map(String.init) }
            .filter { !$0.hasPrefix("*** ") }
    }

    /// "file is not a database" and "database disk image is malformed".
    static func isDamage(_ error: DatabaseError) -> Bool {
        error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT
    }

    static func damaged(_ path: String, _ problems: [String]) -> GridError {
        var named = problems.isEmpty ? "PRAGMA quick_check is not ok" : problems.prefix(problemsNamed).joined(separator: "; ")
        if problems.count > problemsNamed { named += "; …" }
        return GridError(.storeDamaged, "\(path) is damaged (\(named))")
    }

    static func fileSize(_ path: String) -> UInt64? {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value
    }
}
