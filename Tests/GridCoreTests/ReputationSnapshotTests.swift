import Foundation
import GridCore
import GridTestKit
import Testing

/// Experience and circuit breakers survive a restart: saved in wall-clock time, restored with
/// every age grown by the time the node was down.
@Suite struct ReputationSnapshotTests {
    let t0 = ContinuousClock.now
    let echo = skill("echo")

    @Test func experienceComesBackAsItWasAndAgesByTheDowntime() throws {
        var experience = Experience(settings: .init(halfLife: .seconds(10)))
        experience.record(.success, node: node(2), skill: echo, latency: .milliseconds(40), now: t0)
        experience.record(.failure, node: node(2), skill: echo, now: t0 + .seconds(1))
        experience.record(.wrongResult, node: node(3), skill: echo, now: t0 + .seconds(2))
        let savedAt = t0 + .seconds(2)
        let snapshot = experience.snapshot(now: savedAt, nowMs: 1_000_000)
        #expect(snapshot.convictions == [node(3).hex: 1_000_000])

        // Restored right away: the same records, the same trust.
        let same = Experience(settings: experience.settings, restoring: snapshot, now: t0 + .seconds(100), nowMs: 1_000_000)
        #expect(same.record(node: node(2), skill: echo)?.recent == [true, false])
        #expect(same.record(node: node(2), skill: echo)?.latencyMs == 40)
        #expect(same.record(node: node(2), skill: echo)?.counts == [.success: 1, .failure: 1])
        #expect(same.isConvicted(node(3), now: t0 + .seconds(100)))
        let before = experience.localTrust(now: savedAt)
        let after = same.localTrust(now: t0 + .seconds(100))
        for (peer, trust) in before { #expect(abs((after[peer] ?? -1) - trust) < 1e-9) }

        // Restored 10 s of wall clock later: one half-life older.
        let later = Experience(settings: experience.settings, restoring: snapshot, now: t0 + .seconds(100), nowMs: 1_010_000)
        let original = try #require(experience.record(node: node(2), skill: echo))
        let aged = try #require(later.record(node: node(2), skill: echo))
        #expect(aged.updatedAt == t0 + .seconds(89), "updated 1 s before the save, and the node was down 10 s")
        #expect(aged.positive == original.positive && aged.negative == original.negative, "decay applies from updatedAt")

        // A conviction outlives the restart only as long as its memory.
        let dayLater = Experience(
            settings: experience.settings, restoring: snapshot, now: t0 + .seconds(100), nowMs: 1_000_000 + 86_400_000)
        #expect(!dayLater.isConvicted(node(3), now: t0 + .seconds(100)))
    }

    @Test func storedEvidenceConvictsWithoutASnapshot() {
        var experience = Experience()
        experience.restoreConviction(of: node(4), atMs: 5_000, now: t0, nowMs: 6_000)
        #expect(experience.isConvicted(node(4), now: t0))
        #expect(experience.snapshot(now: t0, nowMs: 6_000).convictions == [node(4).hex: 5_000])
    }

    @Test func entriesThatDoNotParseAreSkipped() throws {
        let json = """
            {"records": [{"node": "zz", "skill": "echo", "recent": [true], "positive": 1, "negative": 0, "updatedAtMs": 0, "counts": {}}],
             "convictions": {"not hex": 1}}
            """
        let snapshot = try JSONDecoder().decode(Experience.Snapshot.self, from: Data(json.utf8))
        let experience = Experience(restoring: snapshot, now: t0, nowMs: 0)
        #expect(experience.records.isEmpty && experience.convictions.isEmpty)
    }

    @Test func anOpenCircuitKeepsWhatWasLeftOfItsCooldownAndAFailureCount() {
        var breakers = CircuitBreakers(settings: .init(failureThreshold: 2, cooldown: .seconds(30)))
        breakers.record(.failure, peer: node(2), now: t0)
        breakers.record(.failure, peer: node(2), now: t0)  // open until t0 + 30 s
        breakers.record(.failure, peer: node(3), now: t0)  // one failure
        let snapshot = breakers.snapshot(now: t0 + .seconds(10), nowMs: 50_000)
        #expect(snapshot.failures == [node(3).hex: 1] && snapshot.openUntilMs == [node(2).hex: 70_000])

        let restored = CircuitBreakers(settings: breakers.settings, restoring: snapshot, now: t0 + .seconds(500), nowMs: 55_000)
        #expect(restored.state(of: node(2), now: t0 + .seconds(500)) == .open(until: t0 + .seconds(515)))
        #expect(restored.state(of: node(3), now: t0 + .seconds(500)) == .closed(failures: 1))
        let afterCooldown = CircuitBreakers(settings: breakers.settings, restoring: snapshot, now: t0, nowMs: 80_000)
        #expect(!afterCooldown.isOpen(node(2), now: t0), "its cooldown passed while the node was down")
    }

    @Test func aPeerThatReconnectsGetsItsTrialAtOnce() {
        var breakers = CircuitBreakers(settings: .init(failureThreshold: 1, cooldown: .seconds(30)))
        breakers.record(.failure, peer: node(2), now: t0)
        #expect(breakers.isOpen(node(2), now: t0 + .seconds(1)))
        breakers.peerReconnected(node(2), now: t0 + .seconds(1))
        #expect(breakers.state(of: node(2), now: t0 + .seconds(1)) == .halfOpen(trialInFlight: false))
        breakers.peerReconnected(node(3), now: t0)
        #expect(breakers.state(of: node(3), now: t0) == .closed(failures: 0), "a closed circuit stays closed")
    }
}
