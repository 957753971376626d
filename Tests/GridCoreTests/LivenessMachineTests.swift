import GridCore
import GridTestKit
import Testing

@Suite struct LivenessMachineTests {
    let t0 = ContinuousClock.now

    func at(_ ms: Int64) -> ContinuousClock.Instant { t0 + .milliseconds(ms) }

    func pingNonce(_ directives: [LivenessMachine.Directive]) -> UInt64? {
        directives.compactMap { if case .sendPing(let nonce) = $0 { nonce } else { nil } }.first
    }

    @Test func aPeerThatAnswersStaysAliveAndItsRTTIsSmoothed() throws {
        var rng = SeededRandomNumberGenerator(seed: 1)
        var machine = LivenessMachine(now: t0)
        let first = try #require(pingNonce(machine.tick(now: at(0), using: &rng)))
        #expect(machine.pongReceived(nonce: first, now: at(100)).isEmpty)
        #expect(machine.rtt == .milliseconds(100))
        let second = try #require(pingNonce(machine.tick(now: at(1000), using: &rng)))
        _ = machine.pongReceived(nonce: second, now: at(1200))
        #expect(machine.rtt == .milliseconds(120))  // 0.2 × 200 + 0.8 × 100
        #expect(machine.state == .alive)
    }

    @Test func onePongTooLateDoesNotMakeAPeerSuspect() throws {
        var rng = SeededRandomNumberGenerator(seed: 2)
        var machine = LivenessMachine(now: t0)
        _ = machine.tick(now: at(0), using: &rng)
        let next = machine.tick(now: at(1000), using: &rng)  // first ping missed (one miss)
        #expect(!next.contains(.becameSuspect))
        #expect(machine.state == .alive)
    }

    @Test func aliveThenSuspectThenDeadOnlyAfterTheDocumentedSilence() throws {
        var rng = SeededRandomNumberGenerator(seed: 3)
        var machine = LivenessMachine(now: t0)
        var log: [(Int64, LivenessMachine.Directive)] = []
        for ms in stride(from: Int64(0), through: 10_000, by: 1000) {
            for directive in machine.tick(now: at(ms), using: &rng) {
                if case .sendPing = directive { continue }
                log.append((ms, directive))
            }
        }
        // Misses at 1 s and 2 s: suspect at 2 s; still silent 5 s later: dead at 7 s, and no later.
        #expect(log.map(\.0) == [2000, 7000])
        #expect(log.map(\.1) == [.becameSuspect, .declareDead])
        #expect(machine.state == .dead)
        #expect(LivenessSettings.default.deathAfterSilence == .seconds(7))
        #expect(machine.tick(now: at(20_000), using: &rng).isEmpty)
    }

    @Test func aLatePongBringsASuspectBackToAlive() throws {
        var rng = SeededRandomNumberGenerator(seed: 4)
        var machine = LivenessMachine(now: t0)
        _ = machine.tick(now: at(0), using: &rng)
        _ = machine.tick(now: at(1000), using: &rng)
        let third = machine.tick(now: at(2000), using: &rng)
        #expect(third.contains(.becameSuspect))
        let nonce = try #require(pingNonce(third))
        #expect(machine.pongReceived(nonce: nonce, now: at(2500)) == [.becameAlive])
        #expect(machine.state == .alive)
        // Fresh misses are needed before it is suspected again.
        _ = machine.tick(now: at(3000), using: &rng)
        #expect(!machine.tick(now: at(4000), using: &rng).contains(.becameSuspect))
    }

    @Test func anyFrameHeardRefutesSuspicion() {
        var rng = SeededRandomNumberGenerator(seed: 5)
        var machine = LivenessMachine(now: t0)
        for ms in [0, 1000, 2000] as [Int64] { _ = machine.tick(now: at(ms), using: &rng) }
        #expect(machine.stateName == "suspect")
        #expect(machine.heard(now: at(2100)) == [.becameAlive])
    }

    @Test func aPongWithAnotherNonceGivesNoRTTSample() throws {
        var rng = SeededRandomNumberGenerator(seed: 6)
        var machine = LivenessMachine(now: t0)
        let nonce = try #require(pingNonce(machine.tick(now: at(0), using: &rng)))
        _ = machine.pongReceived(nonce: nonce &+ 1, now: at(50))
        #expect(machine.rtt == nil)
    }
}
