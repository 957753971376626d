import GridCore
import GridTestKit
import Testing

@Suite struct ExperienceTests {
    let t0 = ContinuousClock.now
    let echo = skill("echo")

    @Test func decayHalvesEveryHalfLife() {
        #expect(Decay.factor(elapsed: .zero, halfLife: .seconds(10)) == 1)
        #expect(Decay.factor(elapsed: .seconds(-5), halfLife: .seconds(10)) == 1)
        #expect(abs(Decay.factor(elapsed: .seconds(10), halfLife: .seconds(10)) - 0.5) < 1e-15)
        #expect(abs(Decay.factor(elapsed: .seconds(30), halfLife: .seconds(10)) - 0.125) < 1e-15)
        #expect(abs(Decay.factor(elapsed: .seconds(5), halfLife: .seconds(10)) - 0.707_106_781_186_547_5) < 1e-14)
        #expect(abs(Decay.factor(elapsed: .milliseconds(1234), halfLife: .seconds(1)) - 0.425_137_080_032_097_9) < 1e-13)
        #expect(Decay.factor(elapsed: .seconds(100_000), halfLife: .seconds(1)) == 0)
    }

    @Test func theSuccessRateCoversTheLastWindowOfRatedOutcomes() throws {
        var experience = Experience(settings: .init(window: 4))
        for outcome in [ExperienceOutcome.failure, .failure, .success, .success, .success] {
            experience.record(outcome, node: node(2), skill: echo, now: t0)
        }
        // Refusals and application errors are not rated.
        experience.record(.refusal, node: node(2), skill: echo, now: t0)
        experience.record(.applicationError, node: node(2), skill: echo, now: t0)
        let record = try #require(experience.record(node: node(2), skill: echo))
        #expect(record.samples == 4)
        #expect(record.successRate == 0.75)
        #expect(record.counts[.failure] == 2 && record.counts[.refusal] == 1 && record.counts[.success] == 3)
        #expect(experience.record(node: node(2), skill: skill("sha256")) == nil)
    }

    @Test func latencyIsAMovingAverageOfWorkThatRan() throws {
        var experience = Experience(settings: .init(latencyAlpha: 0.5))
        experience.record(.success, node: node(2), skill: echo, latency: .milliseconds(100), now: t0)
        experience.record(.success, node: node(2), skill: echo, latency: .milliseconds(200), now: t0)
        experience.record(.timeout, node: node(2), skill: echo, latency: .seconds(30), now: t0)  // not a latency sample
        experience.record(.applicationError, node: node(2), skill: echo, latency: .milliseconds(50), now: t0)
        // 100 → 0.5·200 + 0.5·100 = 150 → 0.5·50 + 0.5·150 = 100.
        #expect(try #require(experience.record(node: node(2), skill: echo)).latencyMs == 100)
    }

    @Test func localTrustIsWeightedSuccessesMinusFailuresClippedAtZero() {
        var experience = Experience()
        for _ in 0..<5 { experience.record(.success, node: node(2), skill: echo, now: t0) }
        experience.record(.failure, node: node(2), skill: echo, now: t0)
        experience.record(.refusal, node: node(2), skill: skill("sha256"), now: t0)
        experience.record(.success, node: node(3), skill: echo, now: t0)
        experience.record(.wrongResult, node: node(3), skill: echo, now: t0)
        let trust = experience.localTrust(now: t0)
        #expect(trust[node(2)] == 5 - 1 - 0.25)
        #expect(trust[node(3)] == nil, "one lie outweighs one success: clipped at zero, left out")
    }

    @Test func oldBehaviourFades() {
        var experience = Experience(settings: .init(halfLife: .seconds(60)))
        for _ in 0..<8 { experience.record(.success, node: node(2), skill: echo, now: t0) }
        #expect(experience.localTrust(now: t0 + .seconds(60))[node(2)] == 4)
        // A peer that turns bad: two failures a half-life later cancel what is left of eight successes.
        experience.record(.failure, node: node(2), skill: echo, now: t0 + .seconds(120))
        experience.record(.failure, node: node(2), skill: echo, now: t0 + .seconds(120))
        #expect(experience.localTrust(now: t0 + .seconds(120))[node(2)] == nil)
    }

    @Test func recordsAreBounded() {
        var experience = Experience(settings: .init(maxRecords: 3))
        for n in 2...6 as ClosedRange<UInt8> {
            experience.record(.success, node: node(n), skill: echo, now: t0 + .seconds(Int(n)))
        }
        #expect(experience.records.count == 3)
        #expect(experience.record(node: node(2), skill: echo) == nil, "the least recently updated went first")
        #expect(experience.record(node: node(6), skill: echo) != nil)
    }

    @Test func aSummaryAddsUpTheSkills() {
        var experience = Experience()
        experience.record(.success, node: node(2), skill: echo, latency: .milliseconds(10), now: t0)
        experience.record(.failure, node: node(2), skill: skill("sha256"), now: t0)
        experience.record(.success, node: node(2), skill: skill("sha256"), latency: .milliseconds(30), now: t0)
        let summary = experience.summary(of: node(2))
        #expect(summary.samples == 3 && summary.successes == 2)
        #expect(summary.latencyMs == 20)
        #expect(experience.summary(of: node(9)).successRate == nil)
        experience.forget(node(2))
        #expect(experience.summary(of: node(2)).samples == 0)
    }
}

@Suite struct SkillRegistryTests {
    let t0 = ContinuousClock.now

    func entry(_ skills: [String], at instant: ContinuousClock.Instant) -> SkillRegistry.Entry {
        .init(skills: Set(skills.map(skill)), capacity: 4, load: 0, lastSeen: instant)
    }

    @Test func aNewAnnouncementWithdrawsSkillsAtOnce() {
        var registry = SkillRegistry()
        registry.update(node(2), entry(["echo", "sha256"], at: t0))
        registry.update(node(2), entry(["echo"], at: t0 + .seconds(1)))
        #expect(registry.providers(of: skill("sha256")).isEmpty)
        #expect(registry.providers(of: skill("echo")) == [node(2)])
    }

    @Test func entriesExpireUnlessHeardFrom() {
        var registry = SkillRegistry(settings: .init(expiry: .seconds(90)))
        registry.update(node(2), entry(["echo"], at: t0))
        registry.update(node(3), entry(["echo"], at: t0))
        registry.heard(from: node(3), at: t0 + .seconds(60))
        #expect(registry.expire(now: t0 + .seconds(89)).isEmpty)
        #expect(registry.expire(now: t0 + .seconds(90)) == [node(2)])
        #expect(registry.providers(of: skill("echo")) == [node(3)])
        #expect(registry.expire(now: t0 + .seconds(150)) == [node(3)])
    }

    @Test func aDeadPeerIsRemovedAndTheRegistryIsBounded() {
        var registry = SkillRegistry(settings: .init(maxPeers: 2))
        registry.update(node(2), entry(["echo"], at: t0))
        registry.update(node(3), entry(["echo"], at: t0 + .seconds(1)))
        registry.update(node(4), entry(["echo"], at: t0 + .seconds(2)))
        #expect(registry.providers(of: skill("echo")) == [node(3), node(4)], "the one heard from longest ago made room")
        registry.remove(node(3))
        #expect(registry.providers(of: skill("echo")) == [node(4)])
    }
}
