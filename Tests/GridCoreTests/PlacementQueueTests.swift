import GridCore
import GridTestKit
import Testing

@Suite struct PlacementQueueTests {
    let t0 = ContinuousClock.now
    let sleep = skill("sleep")
    let echo = skill("echo")

    func id(_ n: UInt64) -> TaskID {
        var rng = SeededRandomNumberGenerator(seed: n)
        return .random(using: &rng)
    }

    func entry(_ n: UInt64, replica: Int = 0) -> PlacementQueue.Entry { .init(task: id(n), replica: replica) }

    @Test func entriesArePlacedByPriorityThenInOrderPerSkill() throws {
        var queue = PlacementQueue()
        _ = try queue.park(entry(1), skill: sleep, priority: .normal, now: t0)
        _ = try queue.park(entry(2), skill: sleep, priority: .high, now: t0)
        _ = try queue.park(entry(3), skill: sleep, priority: .normal, now: t0)
        _ = try queue.park(entry(4), skill: echo, priority: .low, now: t0)
        #expect(queue.count == 4 && queue.count(of: .normal) == 2)
        #expect(queue.next(of: sleep, now: t0) == entry(2), "next is only a look")
        #expect(queue.take(of: sleep, now: t0) == entry(2))
        #expect(queue.take(of: sleep, now: t0) == entry(1))
        // A busy skill does not hold up another: echo has its own line.
        #expect(queue.take(of: echo, now: t0) == entry(4))
        #expect(queue.take(of: sleep, now: t0) == entry(3))
        #expect(queue.isEmpty && queue.skills.isEmpty)
    }

    @Test func theFirstParkSetsOneRecheckAndTheRecheckDrainsWhileAnythingWaits() throws {
        var queue = PlacementQueue(settings: .init(recheckInterval: .milliseconds(250)))
        #expect(try queue.park(entry(1), skill: sleep, priority: .normal, now: t0) == [.scheduleRecheck(at: t0 + .milliseconds(250))])
        #expect(try queue.park(entry(2), skill: sleep, priority: .normal, now: t0).isEmpty, "one timer at a time")
        let fired = t0 + .milliseconds(250)
        #expect(queue.recheckFired(now: fired) == [.drain, .scheduleRecheck(at: fired + .milliseconds(250))])
        _ = queue.take(of: sleep, now: fired)
        _ = queue.take(of: sleep, now: fired)
        #expect(queue.recheckFired(now: fired + .milliseconds(250)).isEmpty, "nothing waits: no more timers")
        #expect(try queue.park(entry(3), skill: sleep, priority: .normal, now: fired + .seconds(1)) == [
            .scheduleRecheck(at: fired + .seconds(1) + .milliseconds(250)),
        ])
    }

    @Test func theBoundIsPerClassAcrossSkillsNamedAndHoldsAtAdmissionOnly() throws {
        var queue = PlacementQueue(settings: .init(queue: .init(bounds: [.critical: 1, .high: 1, .normal: 2, .low: 0])))
        _ = try queue.park(entry(1), skill: sleep, priority: .normal, now: t0)
        _ = try queue.park(entry(2), skill: echo, priority: .normal, now: t0)
        #expect(queue.refusal(for: .normal)?.contains("queueBoundNormal") == true)
        #expect(queue.refusal(for: .high) == nil)
        // An accepted task coming back (a retry, a restart) is never dropped: it gets in line
        // beyond the bound, and new submissions stay refused until the class is below it again.
        _ = try queue.park(entry(3), skill: sleep, priority: .normal, now: t0)
        #expect(queue.count(of: .normal) == 3)
        #expect(queue.refusal(for: .low) != nil, "a bound of 0 takes nothing")
        _ = queue.take(of: echo, now: t0)
        #expect(queue.refusal(for: .normal) != nil, "still at the bound")
        _ = queue.take(of: sleep, now: t0)
        #expect(queue.refusal(for: .normal) == nil, "room again")
    }

    @Test func removingATaskTakesEachOfItsReplicasOutOfLine() throws {
        var queue = PlacementQueue()
        _ = try queue.park(entry(1, replica: 0), skill: sleep, priority: .normal, now: t0)
        _ = try queue.park(entry(1, replica: 2), skill: sleep, priority: .normal, now: t0)
        _ = try queue.park(entry(2), skill: sleep, priority: .low, now: t0)
        do {
            _ = try queue.park(entry(2), skill: sleep, priority: .low, now: t0)
            Issue.record("an entry waits once")
        } catch {
            #expect(error.code == .queueDuplicate)
        }
        queue.removeAll(task: id(1))
        #expect(queue.count == 1 && queue.count(of: .normal) == 0)
        let removedAgain = queue.remove(entry(1))
        #expect(!removedAgain, "already gone")
        #expect(queue.take(of: sleep, now: t0) == entry(2))
    }
}
