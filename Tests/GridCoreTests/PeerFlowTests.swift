import GridCore
import Testing

@Suite struct PeerFlowTests {
    let peer = node(2)

    @Test func theWindowGrowsWithCompletionsAndHalvesOnFailures() {
        var flow = PeerFlow(settings: .init(initialWindow: 4, minWindow: 1, maxWindow: 8))
        #expect(flow.window(of: peer) == 4)
        for _ in 0..<3 { flow.record(.success, peer: peer) }
        #expect(flow.window(of: peer) == 7)
        for _ in 0..<5 { flow.record(.applicationError, peer: peer) }
        #expect(flow.window(of: peer) == 8, "capped")
        flow.record(.timeout, peer: peer)
        #expect(flow.window(of: peer) == 4)
        flow.record(.refusal, peer: peer)
        #expect(flow.window(of: peer) == 4, "a refusal is not a failure")
        for _ in 0..<5 { flow.record(.failure, peer: peer) }
        #expect(flow.window(of: peer) == 1, "floored")
    }

    @Test func inFlightTasksFillTheWindow() {
        var flow = PeerFlow(settings: .init(initialWindow: 2, minWindow: 1, maxWindow: 8))
        let now = ContinuousClock.now
        flow.sent(to: peer)
        #expect(flow.full(now: now).isEmpty && flow.inFlight == [peer: 1])
        flow.sent(to: peer)
        #expect(flow.full(now: now) == [peer])
        flow.ended(on: peer)
        #expect(flow.full(now: now).isEmpty && flow.inFlight(on: peer) == 1)
        flow.ended(on: peer)
        flow.ended(on: peer)
        #expect(flow.inFlight(on: peer) == 0 && flow.inFlight.isEmpty)
    }

    @Test func aBusyPeerIsHeldBackUntilOneOfOurTasksEndsOrTheBackOffPasses() {
        var flow = PeerFlow(settings: .init(initialWindow: 8, maxWindow: 8, busyBackoff: .milliseconds(500)))
        let t0 = ContinuousClock.now
        flow.sent(to: peer)
        flow.sent(to: peer)
        flow.refusedBusy(by: peer, now: t0)
        #expect(flow.window(of: peer) == 8, "a busy refusal is not a failure")
        #expect(flow.full(now: t0 + .milliseconds(100)) == [peer], "it holds as many of ours as when it said busy")
        flow.ended(on: peer)
        #expect(flow.full(now: t0 + .milliseconds(100)).isEmpty, "one of ours ended: it has room again")
        // Busy with others' work (none of ours there): held back for the back-off only.
        let other = node(3)
        flow.refusedBusy(by: other, now: t0)
        #expect(flow.full(now: t0 + .milliseconds(499)).contains(other))
        #expect(!flow.full(now: t0 + .milliseconds(500)).contains(other))
    }

    @Test func theAckTimeoutIsTheP95TimesTheFactorClamped() {
        var flow = PeerFlow(settings: .init(ackTimeoutFactor: 3, minAckTimeout: .milliseconds(250), maxAckTimeout: .seconds(10), samples: 20, minSamples: 8))
        for ms in 1...7 { flow.acked(by: peer, after: .milliseconds(ms * 10)) }
        #expect(flow.ackTimeout(for: peer) == nil, "too few samples")
        for ms in 8...20 { flow.acked(by: peer, after: .milliseconds(ms * 10)) }
        // 20 samples 10...200 ms: p95 is the 19th, 190 ms; × 3 = 570 ms.
        #expect(flow.ackTimeout(for: peer) == .milliseconds(570))
        #expect(flow.ackTimeouts == [peer: .milliseconds(570)])
        var fast = PeerFlow()
        for _ in 0..<10 { fast.acked(by: peer, after: .milliseconds(1)) }
        #expect(fast.ackTimeout(for: peer) == .milliseconds(250), "clamped below")
        var slow = PeerFlow()
        for _ in 0..<10 { slow.acked(by: peer, after: .seconds(5)) }
        #expect(slow.ackTimeout(for: peer) == .seconds(10), "clamped above")
    }

    @Test func oldAckTimesRollOff() {
        var flow = PeerFlow(settings: .init(samples: 8, minSamples: 8))
        for _ in 0..<8 { flow.acked(by: peer, after: .seconds(2)) }
        #expect(flow.ackTimeout(for: peer) == .seconds(6))
        for _ in 0..<8 { flow.acked(by: peer, after: .milliseconds(100)) }
        #expect(flow.ackTimeout(for: peer) == .milliseconds(300))
    }

    @Test func theResultTimeoutIsTheP99TimesTheFactorPerSkillAtLeastTheMinimum() {
        var flow = PeerFlow(settings: .init(samples: 100, minSamples: 8, resultTimeoutFactor: 4, minResultTimeout: .seconds(10)))
        let echo = skill("echo"), slow = skill("slow")
        for _ in 0..<7 { flow.resulted(by: peer, skill: slow, after: .seconds(5)) }
        #expect(flow.resultTimeout(for: peer, skill: slow) == nil, "too few results")
        flow.resulted(by: peer, skill: slow, after: .seconds(6))
        #expect(flow.resultTimeout(for: peer, skill: slow) == .seconds(24), "4 × the p99 (6 s)")
        for _ in 0..<10 { flow.resulted(by: peer, skill: echo, after: .milliseconds(3)) }
        #expect(flow.resultTimeout(for: peer, skill: echo) == .seconds(10), "never below the minimum")
        #expect(flow.resultTimeouts(skill: slow) == [peer: .seconds(24)])
        var off = PeerFlow(settings: .init(resultTimeoutFactor: 0))
        for _ in 0..<10 { off.resulted(by: peer, skill: echo, after: .seconds(1)) }
        #expect(off.resultTimeout(for: peer, skill: echo) == nil)
    }
}
