import Foundation
import GRDB
import GridCore

/// The node's SQLite database (`DIR/grid.sqlite`): opens it in WAL mode and brings its schema up
/// to date. One instance per node; safe to share between tasks.
public final class GridDatabase: Sendable {
    let writer: any DatabaseWriter

    /// Opens (creating if needed) the database file at `path` and runs its migrations.
    ///
    /// An existing file is judged before anything writes to it (``checkIntegrity(path:)``): a
    /// write-ahead log that would silently drop committed transactions, a file that is not a
    /// database, or one that fails `PRAGMA quick_check` throws `store.damaged` and leaves the files
    /// as they were.
    public convenience init(path: String) throws(GridError) {
        try Self.checkIntegrity(path: path)
        var config = Configuration()
        // A connection that finds the database locked (a checkpoint, another connection's write
        // starting) waits up to this long instead of failing at once with SQLITE_BUSY, which
        // failed a submission under load ("database is locked").
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            // WAL with synchronous=NORMAL survives a crash of the process without a disk sync per
            // commit; only a power loss can take the last commits.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            try self.init(writer: DatabasePool(path: path, configuration: config))
        } catch let error as GridError {
            throw error
        } catch let error as DatabaseError where Self.isDamage(error) {
            throw Self.damaged(path, [error.message ?? "\(error)"])
        } catch {
            throw GridError(.storeUnavailable, "cannot open the database \(path): \(error); check the data directory's permissions and free space")
        }
    }

    /// A private in-memory database, for tests.
    public static func inMemory() throws(GridError) -> GridDatabase {
        do {
            return try GridDatabase(writer: DatabaseQueue())
        } catch let error as GridError {
            throw error
        } catch {
            throw GridError(.storeUnavailable, "cannot open an in-memory database: \(error)")
        }
    }

    init(writer: any DatabaseWriter) throws {
        self.writer = writer
        do {
            try Self.migrator.migrate(writer)
        } catch let error as DatabaseError where Self.isDamage(error) {
            throw Self.damaged(writer.path, [error.message ?? "\(error)"])
        } catch {
            throw GridError(.storeMigration, "cannot bring the database schema up to date: \(error)")
        }
    }

    /// The journal mode SQLite reports ("wal" for a file database).
    public func journalMode() throws -> String {
        try writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }
}

extension GridError.Code {
    public static let storeUnavailable = Self("store.unavailable")
    public static let storeMigration = Self("store.migration")
    public static let storeWrite = Self("store.write")
    /// The data directory has an identity but no task store (`grid.sqlite` missing or 0 bytes).
    public static let storeMissing = Self("store.missing")
    /// `grid.sqlite` (or its write-ahead log) is damaged; the node does not start on it.
    public static let storeDamaged = Self("store.damaged")
}
