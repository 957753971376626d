import Foundation
import GRDB
import GridCore

extension TaskRecord {
    /// Most tasks one listing returns.
    public static let maxListed = 1000
    /// Most IDs one ``GridDatabase/tasks(_:)`` read takes (well under SQLite's bound on parameters).
    public static let maxReadAtOnce = 1000
}

extension GridDatabase {
    /// The tasks submitted to this node, newest submission first (ties: the later insert first),
    /// at most `limit` (up to ``TaskRecord/maxListed``), only those with `status` and `skill` when
    /// given and, for paging, only those submitted strictly before `submittedBeforeMs`.
    ///
    /// The records' `input` is left empty: a listing never shows it, and each may be a MiB.
    public func listTasks(
        status: TaskRecord.Status? = nil, skill: String? = nil, submittedBeforeMs: Int64? = nil, limit: Int
    ) throws(GridError) -> [TaskRecord] {
        let (sql, arguments) = Self.listing(status: status, skill: skill, submittedBeforeMs: submittedBeforeMs, limit: limit)
        do {
            return try writer.read { db in try TaskRecord.fetchAll(db, sql: sql, arguments: arguments) }
        } catch {
            throw GridError(.storeUnavailable, "cannot list tasks: \(error)")
        }
    }

    /// The same, read on GRDB's reader queue without blocking the caller (through ``TaskJournal``).
    func readListing(
        status: TaskRecord.Status?, skill: String?, submittedBeforeMs: Int64?, limit: Int
    ) async throws(GridError) -> [TaskRecord] {
        let (sql, arguments) = Self.listing(status: status, skill: skill, submittedBeforeMs: submittedBeforeMs, limit: limit)
        do {
            return try await writer.read { db in try TaskRecord.fetchAll(db, sql: sql, arguments: arguments) }
        } catch {
            throw GridError(.storeUnavailable, "cannot list tasks: \(error)")
        }
    }

    private static func listing(
        status: TaskRecord.Status?, skill: String?, submittedBeforeMs: Int64?, limit: Int
    ) -> (String, StatementArguments) {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let status {
            conditions.append("status = ?")
            arguments += [status.rawValue]
        }
        if let skill {
            conditions.append("skill = ?")
            arguments += [skill]
        }
        if let submittedBeforeMs {
            conditions.append("submittedAtMs < ?")
            arguments += [submittedBeforeMs]
        }
        arguments += [max(0, min(limit, TaskRecord.maxListed))]
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = """
            SELECT id, skill, X'' AS input, priority, timeoutMs, status, submittedAtMs, finishedAtMs, executor, output,
                   errorCode, errorMessage, idempotencyKey, requestDigest, replicas, minimumTrust, retryApplicationErrors, cacheable, verify
            FROM task \(filter) ORDER BY submittedAtMs DESC, rowid DESC LIMIT ?
            """
        return (sql, arguments)
    }

    /// The records of `ids` that exist, by ID (hex). At most ``TaskRecord/maxReadAtOnce`` IDs.
    public func tasks(_ ids: some Collection<TaskID>) throws(GridError) -> [String: TaskRecord] {
        precondition(ids.count <= TaskRecord.maxReadAtOnce, "bounded by callers")
        guard !ids.isEmpty else { return [:] }
        let hex = ids.map(\.hex)
        do {
            let records = try writer.read { db in try TaskRecord.filter(keys: hex).fetchAll(db) }
            return Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        } catch {
            throw GridError(.storeUnavailable, "cannot read \(ids.count) tasks: \(error)")
        }
    }

    /// ``tasks(_:)``, read on GRDB's reader queue.
    func readTasks(_ ids: [TaskID]) async throws(GridError) -> [String: TaskRecord] {
        precondition(ids.count <= TaskRecord.maxReadAtOnce, "bounded by callers")
        guard !ids.isEmpty else { return [:] }
        let hex = ids.map(\.hex)
        do {
            let records = try await writer.read { db in try TaskRecord.filter(keys: hex).fetchAll(db) }
            return Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        } catch {
            throw GridError(.storeUnavailable, "cannot read \(ids.count) tasks: \(error)")
        }
    }

    /// ``task(_:)``, read on GRDB's reader queue.
    func readTask(_ id: TaskID) async throws(GridError) -> TaskRecord? {
        do {
            return try await writer.read { db in
                try TaskRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM task WHERE id = ?"), arguments: [id.hex])
            }
        } catch {
            throw GridError(.storeUnavailable, "cannot read task \(id): \(error)")
        }
    }

    /// ``attempts(of:)``, read on GRDB's reader queue.
    func readAttempts(of id: TaskID) async throws(GridError) -> [TaskAttemptRecord] {
        do {
            return try await writer.read { db in
                try TaskAttemptRecord.filter(Column("taskId") == id.hex).order(Column("seq")).fetchAll(db)
            }
        } catch {
            throw GridError(.storeUnavailable, "cannot read the attempts of task \(id): \(error)")
        }
    }
}
