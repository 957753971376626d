import Foundation
import GridCore
import GridStore
import Testing

/// The journal's writer: group commit, one failing operation failing alone, reads that see
/// outcomes not yet committed, and a close that commits what is queued.
@Suite struct TaskJournalWriterTests {
    func spec(_ n: Int) throws -> TaskSpec {
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes[14] = UInt8(n >> 8)
        bytes[15] = UInt8(n & 0xff)
        return TaskSpec(id: try TaskID(bytes: bytes), skill: try SkillID("echo"), input: [1], timeout: .seconds(5))
    }

    @Test func manySubmissionsAtOnceCommitInFewerBatchesAndEachIsRecorded() async throws {
        let database = try GridDatabase.inMemory()
        let journal = TaskJournal(database: database)
        defer { journal.close() }
        let specs = try (0..<400).map(spec)
        try await withThrowingTaskGroup(of: SubmitRecording.self) { group in
            for spec in specs { group.addTask { try await journal.submit(spec, atMs: 1) } }
            for try await recording in group { #expect(recording == .recorded) }
        }
        for spec in specs { #expect(try database.task(spec.id)?.status == .running) }
        let committed = journal.committed
        #expect(committed.operations == 400)
        #expect(committed.batches < 400, "submissions that arrive together share a transaction")
    }

    @Test func aDuplicateFailsAloneAndAKeyUsedInTheSameBatchGivesTheFirstTask() async throws {
        let database = try GridDatabase.inMemory()
        let journal = TaskJournal(database: database)
        defer { journal.close() }
        _ = try await journal.submit(spec(1), atMs: 1)
        let claim = IdempotencyClaim(key: "k", requestDigest: "d")
        async let duplicate: Result<SubmitRecording, GridError> = { () async -> Result<SubmitRecording, GridError> in
            do { return .success(try await journal.submit(try spec(1), atMs: 2)) } catch let error as GridError { return .failure(error) } catch { return .failure(GridError(.storeWrite, "\(error)")) }
        }()
        async let first = journal.submit(spec(2), idempotency: claim, atMs: 3)
        async let other = journal.submit(spec(3), atMs: 4)
        let results = await (duplicate, try first, try other)
        guard case .failure(let error) = results.0 else { Issue.record("a task ID is recorded once"); return }
        #expect(error.code == .storeWrite)
        #expect(results.1 == .recorded && results.2 == .recorded, "the others in its batch commit")
        let again = try await journal.submit(spec(4), idempotency: claim, atMs: 5)
        guard case .existing(let record) = again else { Issue.record("the key was used"); return }
        #expect(record.id == (try spec(2)).id.hex)
    }

    @Test func anOutcomeIsSeenAtOnceAndIsInTheStoreAfterAFlush() async throws {
        let database = try GridDatabase.inMemory()
        let journal = TaskJournal(database: database)
        defer { journal.close() }
        let task = try spec(7)
        _ = try await journal.submit(task, atMs: 1)
        let attempt = TaskAttemptRecord(taskId: task.id.hex, seq: 0, replica: 0, node: String(repeating: "ab", count: 32), result: "succeeded", latencyMs: 3)
        journal.finish(TaskEnding(id: task.id, outcome: .success(output: [9]), executor: nil, attempts: [attempt], atMs: 10))
        #expect(try await journal.task(task.id)?.status == .succeeded, "from memory, or from the store")
        #expect(try await journal.attempts(of: task.id) == [attempt])
        await journal.flush()
        let stored = try #require(try database.task(task.id))
        #expect(stored.status == .succeeded && stored.output == Data([9]) && stored.finishedAtMs == 10)
        // A task ends once: a later outcome does not change it.
        journal.finish(TaskEnding(id: task.id, outcome: .failure(TaskFailure(.internal, "late")), executor: nil, attempts: [], atMs: 20))
        await journal.flush()
        #expect(try database.task(task.id)?.status == .succeeded)
        #expect(try await journal.listTasks(status: .running, limit: 10).isEmpty)
    }

    @Test func closeCommitsWhatIsQueuedAndRefusesLaterSubmissions() async throws {
        let database = try GridDatabase.inMemory()
        let journal = TaskJournal(database: database)
        let task = try spec(8)
        _ = try await journal.submit(task, atMs: 1)
        journal.finish(TaskEnding(id: task.id, outcome: .success(output: []), executor: nil, attempts: [], atMs: 2))
        journal.close()
        #expect(try database.task(task.id)?.status == .succeeded)
        await #expect(throws: GridError.self) { try await journal.submit(try spec(9), atMs: 3) }
        await journal.flush()  // returns at once once closed
    }
}
