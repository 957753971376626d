import Foundation
import GRDB
import GridCore
import Testing

@testable import GridStore

@Suite struct IdempotencyKeyTests {
    func spec(_ seed: UInt8, input: [UInt8] = [1]) throws -> TaskSpec {
        TaskSpec(id: try TaskID(bytes: [UInt8](repeating: seed, count: 16)), skill: try SkillID("echo"), input: input, timeout: .seconds(5))
    }

    @Test func aKeyUsedBeforeGivesBackItsTaskAndRecordsNothing() throws {
        let database = try GridDatabase.inMemory()
        let claim = IdempotencyClaim(key: "order-42", requestDigest: "d1")
        #expect(try database.recordSubmitted(spec(1), idempotency: claim, atMs: 10) == .recorded)
        guard case .existing(let first) = try database.recordSubmitted(spec(2), idempotency: claim, atMs: 20) else {
            Issue.record("the second submit with the key recorded a task")
            return
        }
        #expect(first.id == (try spec(1)).id.hex)
        #expect(first.idempotencyKey == "order-42" && first.requestDigest == "d1")
        #expect(try database.task(spec(2).id) == nil)
        #expect(try database.listTasks(limit: 10).count == 1)
    }

    @Test func theExistingTaskComesBackWhateverTheNewDigest() throws {
        // The store keeps the digest; telling a retry from a different request is the caller's job.
        let database = try GridDatabase.inMemory()
        try database.recordSubmitted(spec(1), idempotency: IdempotencyClaim(key: "k", requestDigest: "d1"), atMs: 10)
        let again = try database.recordSubmitted(spec(2), idempotency: IdempotencyClaim(key: "k", requestDigest: "other"), atMs: 11)
        guard case .existing(let first) = again else {
            Issue.record("recorded a second task for one key")
            return
        }
        #expect(first.requestDigest == "d1")
    }

    @Test func tasksWithoutKeysAndWithDifferentKeysAreIndependent() throws {
        let database = try GridDatabase.inMemory()
        try database.recordSubmitted(spec(1), atMs: 1)
        try database.recordSubmitted(spec(2), atMs: 2)
        #expect(try database.recordSubmitted(spec(3), idempotency: IdempotencyClaim(key: "a", requestDigest: "x"), atMs: 3) == .recorded)
        #expect(try database.recordSubmitted(spec(4), idempotency: IdempotencyClaim(key: "b", requestDigest: "x"), atMs: 4) == .recorded)
        #expect(try database.listTasks(limit: 10).count == 4)
        #expect(try database.task(spec(1).id)?.idempotencyKey == nil)
    }

    @Test func theKeyIsUniqueInTheSchemaItself() throws {
        let database = try GridDatabase.inMemory()
        try database.recordSubmitted(spec(1), idempotency: IdempotencyClaim(key: "k", requestDigest: "d"), atMs: 1)
        // Straight past recordSubmitted's check: the unique index refuses it.
        #expect(throws: DatabaseError.self) {
            try database.writer.write { db in
                try db.execute(
                    sql: "INSERT INTO task (id, skill, input, priority, timeoutMs, status, submittedAtMs, idempotencyKey) VALUES (?, 'echo', x'', 96, 1000, 'running', 2, 'k')",
                    arguments: [String(repeating: "ab", count: 16)])
            }
        }
    }

    @Test func concurrentSubmitsWithOneKeyRecordOneTask() async throws {
        let database = try GridDatabase.inMemory()
        let claim = IdempotencyClaim(key: "race", requestDigest: "d")
        let outcomes = try await withThrowingTaskGroup(of: SubmitRecording.self) { group in
            for seed in UInt8(1)...16 {
                let spec = try spec(seed)
                group.addTask { try database.recordSubmitted(spec, idempotency: claim, atMs: 5) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .recorded }.count == 1)
        let ids = Set(outcomes.compactMap { if case .existing(let task) = $0 { task.id } else { nil } })
        #expect(ids.count == 1)
        #expect(try database.listTasks(limit: 100).map(\.id) == Array(ids))
    }

    @Test func migrationV5KeepsEarlierTasksAndAddsTheColumnsAndIndexes() throws {
        let queue = try DatabaseQueue()
        try GridDatabase.migrator.migrate(queue, upTo: "v4: task attempts")
        let old = String(repeating: "cd", count: 16)
        try queue.write { db in
            try db.execute(
                sql: "INSERT INTO task (id, skill, input, priority, timeoutMs, status, submittedAtMs) VALUES (?, 'sha256', x'01', 96, 1000, 'succeeded', 7)",
                arguments: [old])
        }
        let database = try GridDatabase(writer: queue)
        let record = try #require(try database.task(TaskID(hex: old)))
        #expect(record.status == .succeeded && record.idempotencyKey == nil && record.requestDigest == nil)
        let indexes = try queue.read { db in try db.indexes(on: "task") }
        #expect(indexes.contains { $0.name == "task_on_idempotencyKey" && $0.isUnique && $0.columns == ["idempotencyKey"] })
        #expect(indexes.contains { $0.name == "task_on_submittedAtMs" && $0.columns == ["submittedAtMs"] })
        #expect(try queue.read { db in try GridDatabase.migrator.appliedMigrations(db) }.contains("v5: idempotency keys and listing"))
        // v6: the earlier task reads back as submitted with the defaults of its time.
        let spec = try record.spec()
        #expect(spec.replicas == 1 && spec.minimumTrust == 0 && !spec.retryApplicationErrors && !spec.cacheable)
    }

    @Test func keysSurviveReopeningTheFile() throws {
        var template = Array("/tmp/gridstore-XXXXXX".utf8CString)
        let directory = String(cString: try #require(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let claim = IdempotencyClaim(key: "kept", requestDigest: "d")
        try GridDatabase(path: directory + "/grid.sqlite").recordSubmitted(spec(1), idempotency: claim, atMs: 1)
        let reopened = try GridDatabase(path: directory + "/grid.sqlite")
        #expect(try reopened.recordSubmitted(spec(2), idempotency: claim, atMs: 2) != .recorded)
    }
}
