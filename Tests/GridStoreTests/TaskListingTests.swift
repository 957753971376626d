import Foundation
import GridCore
import GridStore
import Testing

@Suite struct TaskListingTests {
    func spec(_ seed: UInt8, skill: String = "echo") throws -> TaskSpec {
        TaskSpec(id: try TaskID(bytes: [UInt8](repeating: seed, count: 16)), skill: try SkillID(skill), input: [seed], timeout: .seconds(5))
    }

    /// Tasks 1-6, submitted at 100, 200, ... 600: odd seeds echo, even ones sha256; 1 and 2 succeed, 3 fails.
    func filled() throws -> GridDatabase {
        let database = try GridDatabase.inMemory()
        for seed in UInt8(1)...6 {
            try database.recordSubmitted(spec(seed, skill: seed % 2 == 1 ? "echo" : "sha256"), atMs: Int64(seed) * 100)
        }
        try database.recordOutcome(spec(1).id, .success(output: [9]), executor: nil, atMs: 1000)
        try database.recordOutcome(spec(2).id, .success(output: [9]), executor: nil, atMs: 1000)
        try database.recordOutcome(spec(3).id, .failure(TaskFailure(.skillFailed, "no")), executor: nil, atMs: 1000)
        return database
    }

    func seeds(_ records: [TaskRecord]) -> [UInt8] {
        records.map { UInt8($0.id.prefix(2), radix: 16)! }
    }

    @Test func newestSubmissionFirst() throws {
        #expect(try seeds(filled().listTasks(limit: 100)) == [6, 5, 4, 3, 2, 1])
    }

    @Test func tiesInOneMillisecondListTheLaterInsertFirst() throws {
        let database = try GridDatabase.inMemory()
        for seed in [UInt8(9), 3, 7] { try database.recordSubmitted(spec(seed), atMs: 50) }
        #expect(seeds(try database.listTasks(limit: 10)) == [7, 3, 9])
    }

    @Test(arguments: [
        (TaskRecord.Status?.some(.running), String?.none, [UInt8(6), 5, 4]),
        (.succeeded, nil, [2, 1]),
        (.failed, nil, [3]),
        (nil, "sha256", [6, 4, 2]),
        (.running, "echo", [5]),
        (.failed, "sha256", []),
        (nil, "resize", []),
    ])
    func filters(status: TaskRecord.Status?, skill: String?, expected: [UInt8]) throws {
        #expect(try seeds(filled().listTasks(status: status, skill: skill, limit: 100)) == expected)
    }

    @Test func limitAndPagingByStrictlyEarlierSubmission() throws {
        let database = try filled()
        let first = try database.listTasks(limit: 4)
        #expect(seeds(first) == [6, 5, 4, 3])
        let next = try database.listTasks(submittedBeforeMs: first.last!.submittedAtMs, limit: 4)
        #expect(seeds(next) == [2, 1])
        #expect(try database.listTasks(submittedBeforeMs: 100, limit: 4).isEmpty)
        #expect(try database.listTasks(limit: TaskRecord.maxListed + 5).count == 6, "a limit beyond the bound is cut to it")
    }

    @Test func aListingLeavesTheInputOutButKeepsTheOutcome() throws {
        let listed = try #require(try filled().listTasks(status: .succeeded, limit: 1).first)
        #expect(listed.input.isEmpty)
        #expect(listed.output == Data([9]) && listed.finishedAtMs == 1000)
    }

    @Test func readingSeveralTasksByID() throws {
        let database = try filled()
        let unknown = try TaskID(bytes: [UInt8](repeating: 0xee, count: 16))
        let found = try database.tasks([spec(1).id, spec(3).id, unknown])
        #expect(Set(found.keys) == [try spec(1).id.hex, try spec(3).id.hex])
        #expect(found[try spec(3).id.hex]?.status == .failed)
        #expect(try database.tasks([]).isEmpty)
    }
}
