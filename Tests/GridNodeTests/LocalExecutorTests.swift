import GridCore
import GridTestKit
import Testing

@testable import GridNode

@Suite struct LocalExecutorTests {
    let sleep = try! SkillID("sleep")
    let echo = try! SkillID("echo")

    @Test func admissionCountsTasksAdmittedButNotStarted() async {
        let executor = LocalExecutor(skills: BuiltinSkills.all, capacity: 1, maxQueued: 1)
        #expect(await executor.admit() == .accepted(queuePosition: 0))
        #expect(await executor.admit() == .accepted(queuePosition: 0))
        guard case .busy(let why) = await executor.admit() else {
            Issue.record("a third task must be refused: one slot and one place in the queue are taken")
            return
        }
        #expect(why.contains("retry later"))
    }

    @Test func aTaskCancelledWhileWaitingLeavesTheQueue() async throws {
        let executor = LocalExecutor(skills: BuiltinSkills.all, capacity: 1, maxQueued: 1)
        let blocker = Task { await executor.execute(sleep, input: Array("600000".utf8)) }
        try await poll("the blocker to take the slot") { await executor.load == 1 }
        let queued = Task { await executor.execute(echo, input: [1]) }
        try await poll("the second task to queue") { await executor.waiting == 1 }

        queued.cancel()
        guard case .failure(let failure) = await queued.value else {
            Issue.record("a task cancelled in the queue must not run")
            return
        }
        #expect(failure.code == .timedOut)
        #expect(await executor.waiting == 0)

        blocker.cancel()
        _ = await blocker.value
        #expect(await executor.load == 0)
        #expect(await executor.execute(echo, input: [2]) == .success(output: [2]))
    }

    @Test func unknownSkillIsNoProvider() async {
        let executor = LocalExecutor(skills: [:], capacity: 1, maxQueued: 0)
        guard case .failure(let failure) = await executor.execute(echo, input: []) else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.code == .noProvider)
    }

    @Test func placesReservedOneAfterAnotherAreServedInThatOrder() async {
        let executor = LocalExecutor(skills: BuiltinSkills.all, capacity: 1, maxQueued: 10)
        guard case .slot = executor.reserve(priority: 96) else {
            Issue.record("the first reservation takes the free slot")
            return
        }
        var grants: [SlotGrant] = []
        for _ in 0..<5 {
            guard case .waiting(let grant, _) = executor.reserve(priority: 96) else {
                Issue.record("later reservations wait")
                return
            }
            grants.append(grant)
        }
        #expect(await executor.waiting == 5)
        // Each finished run passes the slot to the next reservation, in order.
        for (n, grant) in grants.enumerated() {
            let done = await executor.run(echo, input: [UInt8(n)], n == 0 ? .slot : .waiting(grants[n - 1], TaskID(unchecked: [UInt8](repeating: 0, count: 16))))
            #expect(done == .success(output: [UInt8(n)]))
            #expect(await grant.wait(), "reservation \(n + 1) got the slot")
        }
    }
}
