import Foundation
import GridCore
import GridStore
import Testing

@Suite struct GridDatabaseTests {
    func spec(_ seed: UInt8 = 1) throws -> TaskSpec {
        TaskSpec(
            id: try TaskID(bytes: [UInt8](repeating: seed, count: 16)), skill: try SkillID("sha256"), input: [1, 2, 3],
            priority: 200, timeout: .milliseconds(2500))
    }

    @Test func fileDatabaseUsesWAL() throws {
        var template = Array("/tmp/gridstore-XXXXXX".utf8CString)
        let directory = String(cString: try #require(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try GridDatabase(path: directory + "/grid.sqlite")
        #expect(try database.journalMode() == "wal")
        // Reopening runs the migrator again without harm, and the data is still there.
        try database.recordSubmitted(spec(), atMs: 10)
        let reopened = try GridDatabase(path: directory + "/grid.sqlite")
        #expect(try reopened.task(spec().id)?.status == .running)
    }

    @Test func submittedTaskIsRecordedBeforeItsOutcome() throws {
        let database = try GridDatabase.inMemory()
        let spec = try spec()
        try database.recordSubmitted(spec, atMs: 1000)
        let record = try #require(try database.task(spec.id))
        #expect(record.status == .running)
        #expect(record.skill == "sha256")
        #expect(record.input == Data([1, 2, 3]))
        #expect(record.priority == 200)
        #expect(record.timeoutMs == 2500)
        #expect(record.submittedAtMs == 1000)
        #expect(record.finishedAtMs == nil)
    }

    @Test func successAndFailureOutcomes() throws {
        let database = try GridDatabase.inMemory()
        let executor = try NodeID(bytes: [UInt8](repeating: 9, count: 32))
        let (ok, bad) = (try spec(1), try spec(2))
        try database.recordSubmitted(ok, atMs: 1)
        try database.recordSubmitted(bad, atMs: 1)
        try database.recordOutcome(ok.id, .success(output: [7]), executor: executor, atMs: 5)
        try database.recordOutcome(bad.id, .failure(TaskFailure(.noProvider, "nobody")), executor: nil, atMs: 6)

        let done = try #require(try database.task(ok.id))
        #expect(done.status == .succeeded && done.output == Data([7]) && done.executor == executor.hex && done.finishedAtMs == 5)
        let failed = try #require(try database.task(bad.id))
        #expect(failed.status == .failed && failed.errorCode == "no_provider" && failed.errorMessage == "nobody" && failed.executor == nil)
    }

    @Test func theSameTaskCannotBeRecordedTwice() throws {
        let database = try GridDatabase.inMemory()
        try database.recordSubmitted(spec(), atMs: 1)
        let error = #expect(throws: GridError.self) { try database.recordSubmitted(spec(), atMs: 2) }
        #expect(error?.code == .storeWrite)
    }

    @Test func unknownTaskIsNil() throws {
        #expect(try GridDatabase.inMemory().task(spec(3).id) == nil)
    }
}
