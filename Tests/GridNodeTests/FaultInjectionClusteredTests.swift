import Foundation
import GridClient
import GridCore
import GridLocalAPI
import GridNode
import GridTestKit
import NIOConcurrencyHelpers
import Testing

/// A skill that says it started, then runs until cancelled (or returns `output` at once when given).
final class StuckSkill: Skill, Sendable {
    let startedRun = Latch()
    let output: String?

    init(output: String? = nil) { self.output = output }

    func run(_ input: [UInt8]) async -> TaskOutcome {
        if let output { return .success(output: Array(output.utf8)) }
        startedRun.open()
        while (try? await Task.sleep(for: .milliseconds(5))) != nil {}
        return .failure(TaskFailure(.cancelled, "cancelled"))
    }
}

/// Faults between real nodes, through a ``FaultProxy``: a partition mid-task.
@Suite struct FaultInjectionClusteredTests {
    static let held = try! SkillID("held")

    static func fastLiveness(_ settings: inout NodeSettings) {
        settings.pingIntervalMs = 100
        settings.pingTimeoutMs = 100
        settings.suspectAfterMissedPings = 2
        settings.suspicionTimeoutMs = 200
    }

    @Test func aTaskOnAPeerCutOffByAPartitionCompletesOnAnother() async throws {
        let stuck = StuckSkill()
        try await withTestCluster([TestNodeSpec(skills: ["echo"], customSkills: [Self.held: stuck], configure: Self.fastLiveness)]) { cluster in
            let proxy = try await FaultProxy.start(to: cluster[0].address)
            // The requester reaches the first provider only through the proxy.
            let requester = try await cluster.add(TestNodeSpec(skills: ["echo"], bootstrapFrom: [], configure: Self.fastLiveness), dialling: [proxy.address])
            try await VerificationClusteredTests.waitForProviders(requester, "held", count: 1)
            let task = try await requester.withClient { try await $0.submit(SubmitParams(skill: "held", input: "x", timeoutMs: 30_000)) }
            await stuck.startedRun.wait()
            // A second provider joins; then the first is cut off, its connection left open.
            let second = try await cluster.add(
                TestNodeSpec(skills: ["echo"], bootstrapFrom: [1], customSkills: [Self.held: StuckSkill(output: "second")], configure: Self.fastLiveness))
            try await VerificationClusteredTests.waitForProviders(requester, "held", count: 1)
            try await poll("the requester to see the second provider") {
                try await requester.withClient { try await $0.route(RouteParams(skill: "held")) }.contains { $0.nodeId == second.nodeID.hex }
            }
            proxy.blackhole()
            try await PriorityClusteredTests.waitForStatus(requester, task.taskId, .succeeded)
            let done = try await requester.withClient { try await $0.task(task.taskId) }
            #expect(done.output == "second" && done.executor == second.nodeID.hex)
            let first = try #require(done.attempts?.first)
            #expect(first.nodeId == cluster[0].nodeID.hex && first.outcome.contains("connection lost"), "\(done.attempts ?? [])")
            await proxy.stop()
        }
    }
}
