import Foundation
import GridCore
import GridStore
import Testing

/// The journal keeps all of a task's parameters, so a restarted node resumes it as submitted.
@Suite struct TaskJournalTests {
    func spec(_ seed: UInt8, priority: UInt8 = 96) throws -> TaskSpec {
        TaskSpec(
            id: try TaskID(bytes: [UInt8](repeating: seed, count: 16)), skill: try SkillID("sha256"), input: [seed, 2, 3],
            priority: priority, timeout: .milliseconds(2500), replicas: 3, minimumTrust: 0.25, retryApplicationErrors: true,
            cacheable: true)
    }

    @Test func everyParameterComesBackAsSubmitted() throws {
        let database = try GridDatabase.inMemory()
        let submitted = try spec(1)
        try database.recordSubmitted(submitted, atMs: 1000)
        let record = try #require(try database.task(submitted.id))
        #expect(try record.spec() == submitted)
    }

    @Test func theUnfinishedTasksAreTheRunningOnesHighestPriorityThenOldestFirst() throws {
        let database = try GridDatabase.inMemory()
        let (low, high, done, lowLater) = (try spec(1, priority: 10), try spec(2, priority: 200), try spec(3), try spec(4, priority: 10))
        try database.recordSubmitted(low, atMs: 1)
        try database.recordSubmitted(high, atMs: 2)
        try database.recordSubmitted(done, atMs: 3)
        try database.recordSubmitted(lowLater, atMs: 4)
        try database.recordOutcome(done.id, .success(output: [1]), executor: nil, atMs: 5)
        #expect(try database.unfinishedTasks().map(\.id) == [high.id.hex, low.id.hex, lowLater.id.hex])
    }

    @Test func aRowThatHoldsNoValidTaskSaysSo() throws {
        let database = try GridDatabase.inMemory()
        try database.recordSubmitted(spec(1), atMs: 1)
        var record = try #require(try database.task(spec(1).id))
        record.id = "zz"
        #expect(throws: GridError.self) { try record.spec() }
        record.id = String(repeating: "ab", count: 16)
        record.replicas = 9
        let error = #expect(throws: GridError.self) { try record.spec() }
        #expect(error?.code == .storeBadRow && error?.message.contains("replicas 9") == true)
    }
}
