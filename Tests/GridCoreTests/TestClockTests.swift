import GridCore
import GridTestKit
import Testing

@Suite struct TestClockTests {
    @Test func sleepersWakeOnlyWhenTheClockIsAdvancedToTheirDeadline() async throws {
        let clock = TestClock()
        let start = clock.now
        let woke = Latch()
        let sleeper = Task {
            try await clock.sleep(until: start + .seconds(5))
            woke.open()
        }
        try await poll("the sleeper to sleep") { clock.sleeping == 1 }
        clock.advance(by: .seconds(4))
        #expect(clock.sleeping == 1, "not yet due")
        clock.advance(by: .seconds(1))
        await woke.wait()
        try await sleeper.value
        #expect(clock.now == start + .seconds(5))
        try await clock.sleep(until: start)  // a deadline passed already returns at once
    }

    @Test func aCancelledSleeperThrowsAndLeaves() async throws {
        let clock = TestClock()
        let sleeper = Task { try await clock.sleep(until: clock.now + .seconds(60)) }
        try await poll("the sleeper to sleep") { clock.sleeping == 1 }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeping == 0)
    }

    @Test func itDrivesAMachinesTimers() throws {
        // The placement queue's recheck, as its shell would see it on this clock.
        let clock = TestClock()
        var queue = PlacementQueue()
        let entry = PlacementQueue.Entry(task: try TaskID(bytes: [UInt8](repeating: 1, count: 16)), replica: 0)
        let first = try queue.park(entry, skill: try SkillID("echo"), priority: .normal, now: clock.now)
        guard case .scheduleRecheck(let at)? = first.first else { Issue.record("a recheck is due"); return }
        clock.advance(by: .milliseconds(250))
        #expect(at == clock.now)
        #expect(queue.recheckFired(now: clock.now) == [.drain, .scheduleRecheck(at: clock.now + .milliseconds(250))])
    }
}
