import Foundation
import GRDB
import GridCore

/// One row of the `task` table: a task an application submitted to this node, and how it ended.
public struct TaskRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "task"

    public enum Status: String, Codable, Sendable {
        case running, succeeded, failed
    }

    /// Task ID, hex.
    public var id: String
    public var skill: String
    public var input: Data
    public var priority: Int
    public var timeoutMs: Int64
    public var status: Status
    /// Wall-clock milliseconds since the Unix epoch.
    public var submittedAtMs: Int64
    public var finishedAtMs: Int64?
    /// Node ID (hex) of the node that produced the outcome.
    public var executor: String?
    public var output: Data?
    public var errorCode: String?
    public var errorMessage: String?
    /// The application's idempotency key, when it gave one: unique among the node's tasks.
    public var idempotencyKey: String? = nil
    /// With a key: SHA-256 (hex) of the request's canonical encoding, to tell a retry of the same
    /// request from a different one reusing the key.
    public var requestDigest: String? = nil
    /// The rest of what the task was submitted with (``TaskSpec``), so it can be resumed after a restart.
    public var replicas: Int = 1
    public var minimumTrust: Double = 0
    public var retryApplicationErrors: Bool = false
    public var cacheable: Bool = false
    /// ``VerifyMode``'s name.
    public var verify: String = VerifyMode.sample.rawValue

    /// The task as it was submitted. Throws when the row does not hold a valid task (a damaged or
    /// hand-edited store).
    public func spec() throws(GridError) -> TaskSpec {
        guard let id = try? TaskID(hex: id) else { throw GridError(.storeBadRow, "task row \(id.prefix(64)) has an invalid task ID") }
        guard let skill = try? SkillID(skill) else { throw GridError(.storeBadRow, "task \(id) has an invalid skill name") }
        guard (0...255).contains(priority), timeoutMs > 0, (1...TaskSpec.maxReplicas).contains(replicas), (0...1).contains(minimumTrust) else {
            throw GridError(.storeBadRow, "task \(id) has parameters out of range (priority \(priority), timeout \(timeoutMs) ms, replicas \(replicas), minimum trust \(minimumTrust))")
        }
        guard let mode = VerifyMode(rawValue: verify) else { throw GridError(.storeBadRow, "task \(id) has an unknown verify mode '\(verify.prefix(32))'") }
        return TaskSpec(
            id: id, skill: skill, input: Array(input), priority: UInt8(priority), timeout: .milliseconds(timeoutMs), replicas: replicas,
            minimumTrust: minimumTrust, retryApplicationErrors: retryApplicationErrors, cacheable: cacheable, verify: mode)
    }
}

extension GridDatabase {
    /// Records a task the moment it is accepted from an application, before any work starts. With
    /// `idempotency`, a key already on record wins: that task is returned and nothing is inserted
    /// (the check and the insert are one transaction, and the key's unique index backs it). The
    /// node writes through its ``TaskJournal`` instead, which batches this with other writes.
    @discardableResult
    public func recordSubmitted(
        _ spec: TaskSpec, idempotency: IdempotencyClaim? = nil, atMs now: Int64
    ) throws(GridError) -> SubmitRecording {
        let record = TaskRecord(submitted: spec, idempotency: idempotency, atMs: now)
        var recording = SubmitRecording.recorded
        try write("record task \(spec.id)") { db in recording = try record.insertSubmitted(db, idempotency: idempotency) }
        return recording
    }

    /// Records how a task ended, with its attempts, in one transaction.
    public func recordOutcome(
        _ id: TaskID, _ outcome: TaskOutcome, executor: NodeID?, attempts: [TaskAttemptRecord] = [], atMs now: Int64
    ) throws(GridError) {
        let ending = TaskEnding(id: id, outcome: outcome, executor: executor, attempts: attempts, atMs: now)
        try write("record the outcome of task \(id)") { db in try ending.apply(db) }
    }

    /// Tasks not yet ended (`running`): what a restarted node resumes. Highest priority first, then
    /// oldest first.
    public func unfinishedTasks() throws(GridError) -> [TaskRecord] {
        do {
            return try writer.read { db in
                try TaskRecord.fetchAll(db, sql: "SELECT * FROM task WHERE status = 'running' ORDER BY priority DESC, submittedAtMs")
            }
        } catch {
            throw GridError(.storeUnavailable, "cannot read the unfinished tasks: \(error)")
        }
    }

    public func task(_ id: TaskID) throws(GridError) -> TaskRecord? {
        do {
            return try writer.read { db in
                try TaskRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM task WHERE id = ?"), arguments: [id.hex])
            }
        } catch {
            throw GridError(.storeUnavailable, "cannot read task \(id): \(error)")
        }
    }

    func write(_ what: String, _ body: (Database) throws -> Void) throws(GridError) {
        do {
            try writer.write(body)
        } catch {
            throw GridError(.storeWrite, "cannot \(what): \(error); check free space in the data directory")
        }
    }
}

extension GridError.Code {
    /// A row that does not hold what it should (a hand-edited or damaged store).
    public static let storeBadRow = Self("store.bad_row")
}

extension TaskRecord {
    /// The row of a task just accepted.
    init(submitted spec: TaskSpec, idempotency: IdempotencyClaim?, atMs now: Int64) {
        self.init(
            id: spec.id.hex, skill: spec.skill.name, input: Data(spec.input), priority: Int(spec.priority),
            timeoutMs: spec.timeout.milliseconds, status: .running, submittedAtMs: now, idempotencyKey: idempotency?.key,
            requestDigest: idempotency?.requestDigest, replicas: spec.replicas, minimumTrust: spec.minimumTrust,
            retryApplicationErrors: spec.retryApplicationErrors, cacheable: spec.cacheable, verify: spec.verify.rawValue)
    }

    /// Inserts the row, unless its idempotency key is on record already (that task is returned).
    func insertSubmitted(_ db: Database, idempotency: IdempotencyClaim?) throws -> SubmitRecording {
        if let key = idempotency?.key,
            let existing = try TaskRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM task WHERE idempotencyKey = ?"), arguments: [key])
        {
            return .existing(existing)
        }
        try insert(db)
        return .recorded
    }
}

/// How a task ended, with its attempts: one UPDATE of its row and the attempts' INSERTs.
public struct TaskEnding: Sendable, Equatable {
    public var id: TaskID
    public var outcome: TaskOutcome
    public var executor: NodeID?
    public var attempts: [TaskAttemptRecord]
    public var atMs: Int64

    public init(id: TaskID, outcome: TaskOutcome, executor: NodeID?, attempts: [TaskAttemptRecord], atMs: Int64) {
        self.id = id
        self.outcome = outcome
        self.executor = executor
        self.attempts = attempts
        self.atMs = atMs
    }

    /// `record` as it reads once this is written (an unfinished one only: an ended task stays as it ended).
    func applied(to record: TaskRecord) -> TaskRecord {
        guard record.status == .running else { return record }
        var record = record
        record.finishedAtMs = atMs
        record.executor = executor?.hex
        switch outcome {
        case .success(let bytes):
            record.status = .succeeded
            record.output = Data(bytes)
        case .failure(let failure):
            record.status = .failed
            record.errorCode = failure.code.rawValue
            record.errorMessage = failure.message
        }
        return record
    }

    func apply(_ db: Database) throws {
        // One cached UPDATE, without reading the row first: this runs for every task. Only a
        // running task ends: a task ends once.
        var status = TaskRecord.Status.succeeded.rawValue
        var output: Data?
        var errorCode: String?
        var errorMessage: String?
        switch outcome {
        case .success(let bytes):
            output = Data(bytes)
        case .failure(let failure):
            status = TaskRecord.Status.failed.rawValue
            errorCode = failure.code.rawValue
            errorMessage = failure.message
        }
        let update = try db.cachedStatement(sql: """
            UPDATE task SET status = ?, finishedAtMs = ?, executor = ?, output = ?, errorCode = ?, errorMessage = ?
            WHERE id = ? AND status = 'running'
            """)
        try update.execute(arguments: [status, atMs, executor?.hex, output, errorCode, errorMessage, id.hex])
        guard db.changesCount > 0 else { return }  // no such task, or it ended already: nothing to attach attempts to
        for attempt in attempts { try attempt.insert(db) }
    }
}
