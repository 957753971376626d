import Foundation
import GridClient
import GridCore
import GridLocalAPI
import GridNode
import GridTestKit
import NIOConcurrencyHelpers
import Testing

/// A skill that holds each run until the test releases it, and notes what happened to the runs.
final class HeldSkill: Skill, Sendable {
    private let state = NIOLockedValueBox((started: 0, cancelled: 0, releases: 0))

    var started: Int { state.withLockedValue { $0.started } }
    var cancelled: Int { state.withLockedValue { $0.cancelled } }

    /// Lets every run, now and later, finish.
    func release() { state.withLockedValue { $0.releases += 1 } }

    func run(_ input: [UInt8]) async -> TaskOutcome {
        state.withLockedValue { $0.started += 1 }
        // Polls for the release: a test double, not production code.
        while state.withLockedValue({ $0.releases }) == 0 {
            guard (try? await Task.sleep(for: .milliseconds(5))) != nil else {
                state.withLockedValue { $0.cancelled += 1 }
                return .failure(TaskFailure(.cancelled, "cancelled"))
            }
        }
        return .success(output: input)
    }
}

@Suite struct RetryClusteredTests {
    static let held = try! SkillID("held")

    /// Waits until `skills` have started `count` runs between them. (A helper rather than a
    /// closure in the test: Swift 6.3's SendNonSendable pass crashes on the inline form.)
    static func waitForStarts(_ skills: [HeldSkill], _ count: Int) async throws {
        try await poll("\(count) runs started") { skills.reduce(0) { $0 + $1.started } == count }
    }

    static func waitForCancels(_ skill: HeldSkill, _ count: Int) async throws {
        try await poll("\(count) runs cancelled") { skill.cancelled == count }
    }

    static func waitForStatus(_ node: TestNode, _ taskID: String, _ status: TaskView.Status) async throws {
        try await poll("task \(taskID) to be \(status.rawValue)") {
            try await node.withClient { try await $0.task(taskID) }.status == status
        }
    }

    @Test func aTaskWhoseExecutorDiesMidTaskCompletesOnAnother() async throws {
        let first = HeldSkill(), second = HeldSkill()
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"]),
            TestNodeSpec(skills: ["echo"], customSkills: [Self.held: first]),
            TestNodeSpec(skills: ["echo"], customSkills: [Self.held: second]),
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            let submitted = try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "held", input: "work")) }
            try await Self.waitForStarts([first, second], 1)
            let (dying, survivor, survivorSkill) = first.started == 1 ? (1, 2, second) : (2, 1, first)
            await cluster.stop(dying)  // as a crash: no goodbye
            try await Self.waitForStarts([survivorSkill], 1)
            survivorSkill.release()
            try await Self.waitForStatus(cluster[0], submitted.taskId, .succeeded)
            let done = try await cluster[0].withClient { try await $0.task(submitted.taskId) }
            #expect(done.executor == cluster[survivor].nodeID.hex)
            #expect(done.output == "work")
            // Both tries are on record, the lost one first.
            let attempts = try #require(done.attempts)
            #expect(attempts.map(\.nodeId) == [cluster[dying].nodeID.hex, cluster[survivor].nodeID.hex])
            #expect(attempts.map(\.outcome) == ["connection lost", "succeeded"])
            #expect(attempts.allSatisfy { ($0.latencyMs ?? -1) >= 0 })
        }
    }

    @Test func cancellingATaskStopsItOnThePeerRunningIt() async throws {
        let skill = HeldSkill()
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"]), TestNodeSpec(skills: ["echo"], customSkills: [Self.held: skill]),
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            let submitted = try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "held", input: "x")) }
            try await Self.waitForStarts([skill], 1)
            let view = try await cluster[0].withClient { try await $0.cancel(submitted.taskId) }
            #expect(view.status == .failed && view.error?.code == "cancelled")
            try await Self.waitForCancels(skill, 1)
            // Cancelling again, or a task that has ended, changes nothing.
            let again = try await cluster[0].withClient { try await $0.cancel(submitted.taskId) }
            #expect(again == view)
            let unknown = await #expect(throws: RPCError.self) {
                try await cluster[0].withClient { try await $0.cancel(String(repeating: "ab", count: 16)) }
            }
            #expect(unknown?.code == RPCError.taskNotFound)
        }
    }
}
