import GridCore
import Testing

@Suite struct CircuitBreakersTests {
    let t0 = ContinuousClock.now
    let peer = node(2)

    @Test func opensAfterTheThresholdOfFailuresInARow() {
        var breakers = CircuitBreakers(settings: .init(failureThreshold: 3, cooldown: .seconds(30)))
        breakers.record(.failure, peer: peer, now: t0)
        breakers.record(.timeout, peer: peer, now: t0)
        #expect(!breakers.isOpen(peer, now: t0))
        breakers.record(.failure, peer: peer, now: t0 + .seconds(1))
        #expect(breakers.isOpen(peer, now: t0 + .seconds(1)))
        #expect(breakers.openPeers(now: t0 + .seconds(1)) == [peer])
        #expect(breakers.state(of: peer, now: t0 + .seconds(2)) == .open(until: t0 + .seconds(31)))
    }

    @Test func aSuccessResetsTheCountAndRefusalsDoNotCount() {
        var breakers = CircuitBreakers(settings: .init(failureThreshold: 2))
        breakers.record(.failure, peer: peer, now: t0)
        breakers.record(.success, peer: peer, now: t0)
        breakers.record(.failure, peer: peer, now: t0)
        for _ in 0..<10 { breakers.record(.refusal, peer: peer, now: t0) }
        breakers.record(.applicationError, peer: peer, now: t0)
        breakers.record(.failure, peer: peer, now: t0)
        #expect(!breakers.isOpen(peer, now: t0))
    }

    @Test func afterTheCooldownOneTrialGoesThenItClosesOrReopens() {
        var breakers = CircuitBreakers(settings: .init(failureThreshold: 1, cooldown: .seconds(10)))
        breakers.record(.failure, peer: peer, now: t0)
        #expect(breakers.isOpen(peer, now: t0 + .seconds(9)))
        #expect(breakers.state(of: peer, now: t0 + .seconds(10)) == .halfOpen(trialInFlight: false))
        #expect(!breakers.isOpen(peer, now: t0 + .seconds(10)), "one trial may go")
        breakers.sent(to: peer, now: t0 + .seconds(10))
        #expect(breakers.isOpen(peer, now: t0 + .seconds(10)), "only one")
        // The trial fails: open for another cooldown.
        breakers.record(.timeout, peer: peer, now: t0 + .seconds(12))
        #expect(breakers.state(of: peer, now: t0 + .seconds(13)) == .open(until: t0 + .seconds(22)))
        // The next trial succeeds: closed.
        breakers.sent(to: peer, now: t0 + .seconds(22))
        breakers.record(.success, peer: peer, now: t0 + .seconds(23))
        #expect(breakers.state(of: peer, now: t0 + .seconds(23)) == .closed(failures: 0))
        #expect(breakers.openPeers(now: t0 + .seconds(23)).isEmpty)
    }

    @Test func aLateFailureDoesNotExtendAnOpenCircuit() {
        var breakers = CircuitBreakers(settings: .init(failureThreshold: 1, cooldown: .seconds(10)))
        breakers.record(.failure, peer: peer, now: t0)
        breakers.record(.failure, peer: peer, now: t0 + .seconds(5))
        #expect(breakers.state(of: peer, now: t0 + .seconds(6)) == .open(until: t0 + .seconds(10)))
    }
}
