import GridCore
import Testing

@testable import GridNode

/// Which skills a node runs deterministically, and so announces as such.
@Suite struct ExecutorDeterminismTests {
    let upper = try! SkillID("text.upper")

    @Test func builtInsAreDeterministicAndSkillsGivenInCodeAreNotUnlessTheySaySo() throws {
        struct Roll: Skill {
            func run(_ input: [UInt8]) async -> TaskOutcome { .success(output: [UInt8.random(in: 0...255)]) }
        }
        struct Hash: Skill {
            var isDeterministic: Bool { true }
            func run(_ input: [UInt8]) async -> TaskOutcome { .success(output: input) }
        }
        let roll = try SkillID("roll"), hash = try SkillID("hash")
        let executor = LocalExecutor(skills: BuiltinSkills.all.merging([roll: Roll(), hash: Hash()]) { a, _ in a }, capacity: 1, maxQueued: 0)
        for name in ["echo", "sha256", "sleep", "fail", "hash"] {
            #expect(executor.isDeterministic(try SkillID(name)), "\(name)")
        }
        #expect(!executor.isDeterministic(roll))
        #expect(!executor.isDeterministic(upper), "a skill this node does not serve")
        #expect(executor.deterministicSkills == Set(try ["echo", "sha256", "sleep", "fail", "hash"].map(SkillID.init)))
    }

    @Test func aServedSkillIsDeterministicOnlyWhileEveryProviderSaysSo() async throws {
        let executor = LocalExecutor(skills: [:], capacity: 1, maxQueued: 10)
        var changes = executor.skillChanges.makeAsyncIterator()
        let a = FakeProvider { _ in .handedBack("") }
        let b = FakeProvider { _ in .handedBack("") }
        try executor.serve(a, skill: upper, capacity: 1, deterministic: true)
        #expect(await changes.next() != nil)
        #expect(executor.isDeterministic(upper) && executor.deterministicSkills == [upper])

        try executor.serve(b, skill: upper, capacity: 1)  // b does not say so: no longer deterministic
        #expect(await changes.next() != nil, "peers are told")
        #expect(!executor.isDeterministic(upper) && executor.deterministicSkills.isEmpty)

        executor.withdraw(b, skill: upper, drain: true)  // draining, b takes no new task
        #expect(await changes.next() != nil)
        #expect(executor.isDeterministic(upper))

        try executor.serve(a, skill: upper, capacity: 2, deterministic: false)  // a changes its word
        #expect(await changes.next() != nil)
        #expect(!executor.isDeterministic(upper))
        executor.withdraw(a, skill: upper, drain: false)
        #expect(await changes.next() != nil)
        #expect(!executor.isDeterministic(upper) && !executor.serves(upper))
    }
}
