import GRDB
import GridCore

/// One try of a task on one node (`task_attempt` table), in the order they were made: kept with
/// the task's outcome so `gridnode task` can show every attempt.
public struct TaskAttemptRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "task_attempt"

    /// Task ID, hex.
    public var taskId: String
    /// 0-based order among the task's attempts.
    public var seq: Int
    /// Which replica of the task the attempt was for (0 unless the task has replicas).
    public var replica: Int
    /// Node ID, hex.
    public var node: String
    /// How it went, in words ("succeeded", "refused: busy", "connection lost", …).
    public var result: String
    public var latencyMs: Double?

    public init(taskId: String, seq: Int, replica: Int, node: String, result: String, latencyMs: Double?) {
        self.taskId = taskId
        self.seq = seq
        self.replica = replica
        self.node = node
        self.result = result
        self.latencyMs = latencyMs
    }
}

extension GridDatabase {
    /// A task's attempts, in order.
    public func attempts(of id: TaskID) throws(GridError) -> [TaskAttemptRecord] {
        do {
            return try writer.read { db in
                try TaskAttemptRecord.filter(Column("taskId") == id.hex).order(Column("seq")).fetchAll(db)
            }
        } catch {
            throw GridError(.storeUnavailable, "cannot read the attempts of task \(id): \(error)")
        }
    }
}
