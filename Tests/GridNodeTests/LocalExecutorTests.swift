import GridCore
import GridTestKit
import NIOConcurrencyHelpers
import Testing

@testable import GridNode

@Suite struct LocalExecutorTests {
    let sleep = try! SkillID("sleep")
    let echo = try! SkillID("echo")
    let upper = try! SkillID("text.upper")

    func job(_ skill: SkillID, _ input: [UInt8], id: UInt8 = 1) -> SkillJob {
        SkillJob(
            taskID: TaskID(unchecked: [UInt8](repeating: id, count: 16)), skill: skill, input: input, priority: 96,
            requester: NodeID(unchecked: [UInt8](repeating: 9, count: 32)), deadlineMs: .max)
    }

    @Test func aPlaceIsTakenAtOnceAndTheQueueBoundHoldsAtReservation() {
        let executor = LocalExecutor(skills: BuiltinSkills.all, capacity: 1, maxQueued: 2)
        let first = executor.reserve(skill: echo, priority: 96)
        guard case .slot = first else { Issue.record("the first task takes the slot"); return }
        let normal = executor.reserve(skill: echo, priority: 96)
        let high = executor.reserve(skill: echo, priority: 160)
        // The ack's position honours priority: the high task is ahead of the normal one queued before it.
        #expect(executor.queuePosition(high, skill: echo) == 0)
        #expect(executor.queuePosition(normal, skill: echo) == 1)
        guard case .refused(let failure) = executor.reserve(skill: echo, priority: 96) else {
            Issue.record("a fourth task must be refused: one slot and two places in the queue are taken"); return
        }
        #expect(failure.code == .queueFull && failure.message.contains("maxQueuedTasks"))
        // A reservation given back frees its place.
        executor.abandon(normal, skill: echo)
        #expect(executor.waiting == 1)
        guard case .waiting = executor.reserve(skill: echo, priority: 96) else { Issue.record("room again"); return }
    }

    @Test func aTaskCancelledWhileWaitingLeavesTheQueue() async throws {
        let executor = LocalExecutor(skills: BuiltinSkills.all, capacity: 1, maxQueued: 1)
        let blocker = Task { await executor.execute(job(sleep, Array("600000".utf8))) }
        try await poll("the blocker to take the slot") { executor.load == 1 }
        let queued = Task { await executor.execute(job(echo, [1])) }
        try await poll("the second task to queue") { executor.waiting == 1 }

        queued.cancel()
        guard case .failure(let failure) = await queued.value else {
            Issue.record("a task cancelled in the queue must not run")
            return
        }
        #expect(failure.code == .timedOut)
        #expect(executor.waiting == 0)

        blocker.cancel()
        _ = await blocker.value
        #expect(executor.load == 0)
        #expect(await executor.execute(job(echo, [2])) == .success(output: [2]))
    }

    @Test func unknownSkillIsNoProvider() async {
        let executor = LocalExecutor(skills: [:], capacity: 1, maxQueued: 0)
        guard case .failure(let failure) = await executor.execute(job(echo, [])) else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.code == .noProvider)
    }

    @Test func placesReservedOneAfterAnotherAreServedInThatOrder() async {
        let executor = LocalExecutor(skills: BuiltinSkills.all, capacity: 1, maxQueued: 10)
        guard case .slot = executor.reserve(skill: echo, priority: 96) else {
            Issue.record("the first reservation takes the free slot")
            return
        }
        var grants: [SlotGrant] = []
        for _ in 0..<5 {
            guard case .waiting(let grant, _) = executor.reserve(skill: echo, priority: 96) else {
                Issue.record("later reservations wait")
                return
            }
            grants.append(grant)
        }
        #expect(executor.waiting == 5)
        // Each finished run passes the slot to the next reservation, in order.
        for (n, grant) in grants.enumerated() {
            let reservation: LocalExecutor.Reservation = n == 0 ? .slot : .waiting(grants[n - 1], TaskID(unchecked: [UInt8](repeating: 0, count: 16)))
            let done = await executor.run(job(echo, [UInt8(n)]), reservation)
            #expect(done == .success(output: [UInt8(n)]))
            #expect(await grant.wait() == .granted, "reservation \(n + 1) got the slot")
        }
    }

    // MARK: Skills served by applications

    @Test func aServedSkillRunsOnItsProvidersAndIsAnnouncedAndWithdrawn() async {
        let executor = LocalExecutor(skills: BuiltinSkills.all, capacity: 1, maxQueued: 10)
        let app = FakeProvider { .outcome(.success(output: $0.input.map { $0 &- 32 })) }
        #expect(!executor.serves(upper))
        try? executor.serve(app, skill: upper, capacity: 2)
        #expect(executor.serves(upper) && executor.servedSkills.contains(upper))
        #expect(executor.occupancy(of: upper).capacity == 2, "its places are the provider's, not the node's")
        #expect(await executor.execute(job(upper, Array("abc".utf8))) == .success(output: Array("ABC".utf8)))
        executor.withdraw(app, skill: upper, drain: false)
        #expect(!executor.serves(upper))
        guard case .failure(let failure) = await executor.execute(job(upper, [])) else {
            Issue.record("a withdrawn skill is not served")
            return
        }
        #expect(failure.code == .noProvider)
    }

    @Test func aNameTheNodeServesItselfCannotBeServedByAnApplication() {
        let executor = LocalExecutor(skills: BuiltinSkills.all, capacity: 1, maxQueued: 10)
        #expect(throws: GridError.self) { try executor.serve(FakeProvider { _ in .handedBack("") }, skill: echo, capacity: 1) }
    }

    @Test func tasksGoToTheProviderWithTheMostFreeCapacity() async throws {
        let executor = LocalExecutor(skills: [:], capacity: 1, maxQueued: 10)
        let gate = Latch()
        let small = FakeProvider { _ in await gate.wait(); return .outcome(.success(output: [1])) }
        let large = FakeProvider { _ in await gate.wait(); return .outcome(.success(output: [3])) }
        try executor.serve(small, skill: upper, capacity: 1)
        try executor.serve(large, skill: upper, capacity: 3)
        let runs = (0..<4).map { n in Task { await executor.execute(job(upper, [], id: UInt8(n))) } }
        try await poll("all four to start") { small.started + large.started == 4 }
        #expect(small.started == 1 && large.started == 3)
        let fifth = Task { await executor.execute(job(upper, [], id: 5)) }
        try await poll("the fifth to wait: every place is taken") { executor.waiting == 1 }
        gate.open()
        for run in runs { _ = await run.value }
        #expect(await fifth.value.isSuccess)
    }

    @Test func aTaskWhoseProviderGoesAwayRunsOnAnother() async throws {
        let executor = LocalExecutor(skills: [:], capacity: 1, maxQueued: 10)
        let gate = Latch()
        let leaving = FakeProvider { _ in await gate.wait(); return .handedBack("the application disconnected") }
        try executor.serve(leaving, skill: upper, capacity: 1)
        let run = Task { await executor.execute(job(upper, [7])) }
        try await poll("the task to start on the first provider") { leaving.started == 1 }
        let staying = FakeProvider { .outcome(.success(output: $0.input)) }
        try executor.serve(staying, skill: upper, capacity: 1)
        executor.withdraw(leaving, skill: upper, drain: false)
        gate.open()
        #expect(await run.value == .success(output: [7]))
        #expect(staying.started == 1)
    }

    @Test func withTheLastProviderGoneWaitingAndRunningTasksFailAsNoProvider() async throws {
        let executor = LocalExecutor(skills: [:], capacity: 1, maxQueued: 10)
        let gate = Latch()
        let app = FakeProvider { _ in await gate.wait(); return .handedBack("the application disconnected") }
        try executor.serve(app, skill: upper, capacity: 1)
        let running = Task { await executor.execute(job(upper, [], id: 1)) }
        try await poll("the first task to start") { app.started == 1 }
        let queued = Task { await executor.execute(job(upper, [], id: 2)) }
        try await poll("the second to wait") { executor.waiting == 1 }
        executor.withdraw(app, skill: upper, drain: false)
        gate.open()
        for task in [running, queued] {
            guard case .failure(let failure) = await task.value else {
                Issue.record("nothing serves the skill any more")
                continue
            }
            #expect(failure.code == .noProvider, "retryable: the requester tries another node")
        }
        #expect(executor.load == 0 && executor.waiting == 0)
    }

    @Test func servingAndWithdrawingTellsPeersOnlyWhenTheSkillSetChanges() async throws {
        let executor = LocalExecutor(skills: [:], capacity: 1, maxQueued: 10)
        var changes = executor.skillChanges.makeAsyncIterator()
        let a = FakeProvider { _ in .handedBack("") }
        let b = FakeProvider { _ in .handedBack("") }
        try executor.serve(a, skill: upper, capacity: 1)
        #expect(await changes.next() != nil)
        try executor.serve(b, skill: upper, capacity: 1)  // no change: the skill was served already
        executor.withdraw(a, skill: upper, drain: false)  // still served by b
        executor.withdraw(b, skill: upper, drain: false)
        #expect(await changes.next() != nil)
        #expect(!executor.serves(upper))
    }
}

/// A provider whose answer the test decides; counts the tasks it was given.
final class FakeProvider: TaskProvider {
    private let answer: @Sendable (SkillJob) async -> ProviderAnswer
    private let count = NIOLockedValueBox(0)
    var started: Int { count.withLockedValue { $0 } }

    init(_ answer: @escaping @Sendable (SkillJob) async -> ProviderAnswer) { self.answer = answer }

    func run(_ job: SkillJob) async -> ProviderAnswer {
        count.withLockedValue { $0 += 1 }
        return await answer(job)
    }
}

