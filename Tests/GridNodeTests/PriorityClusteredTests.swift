import Foundation
import GridClient
import GridCore
import GridLocalAPI
import GridNode
import GridTestKit
import NIOConcurrencyHelpers
import Testing

/// A skill that records the order its runs start in; a run with input "hold" waits for release.
final class RecordingSkill: Skill, Sendable {
    private let state = NIOLockedValueBox((log: [String](), released: false))

    var log: [String] { state.withLockedValue { $0.log } }
    func release() { state.withLockedValue { $0.released = true } }

    func run(_ input: [UInt8]) async -> TaskOutcome {
        let text = String(decoding: input, as: UTF8.self)
        state.withLockedValue { $0.log.append(text) }
        if text == "hold" {
            while !state.withLockedValue({ $0.released }) {
                guard (try? await Task.sleep(for: .milliseconds(5))) != nil else { return .failure(TaskFailure(.cancelled, "cancelled")) }
            }
        }
        return .success(output: input)
    }
}

@Suite struct PriorityClusteredTests {
    static let record = try! SkillID("record")

    static func waitForLog(_ skill: RecordingSkill, count: Int) async throws {
        try await poll(timeout: .seconds(60), "\(count) runs") { skill.log.count >= count }
    }

    @Test func aCriticalTaskBehindAThousandLowOnesOnABusyNodeRunsFirst() async throws {
        let skill = RecordingSkill()
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"], customSkills: [Self.record: skill]) { settings in
                settings.maxConcurrentTasks = 1
                settings.maxQueuedTasks = 2_000
            }
        ]) { cluster in
            let node = cluster[0]
            _ = try await node.withClient { try await $0.submit(SubmitParams(skill: "record", input: "hold")) }
            try await Self.waitForLog(skill, count: 1)  // the only slot is busy
            try await node.withClient { client in
                for n in 0..<1_000 {
                    _ = try await client.submit(SubmitParams(skill: "record", input: "low-\(n)", priority: 0))
                }
                _ = try await client.submit(SubmitParams(skill: "record", input: "critical", priority: 255))
            }
            skill.release()
            try await Self.waitForLog(skill, count: 1_002)
            let log = skill.log
            #expect(log[1] == "critical")
            #expect(Array(log[2...]) == (0..<1_000).map { "low-\($0)" }, "the low ones in the order they came")
        }
    }

    @Test func aFullQueueIsRefusedNamingTheBound() async throws {
        let skill = RecordingSkill()
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"], customSkills: [Self.record: skill]) { settings in
                settings.maxConcurrentTasks = 1
                settings.maxQueuedTasks = 100
                settings.queueBoundLow = 2
            }
        ]) { cluster in
            let node = cluster[0]
            _ = try await node.withClient { try await $0.submit(SubmitParams(skill: "record", input: "hold")) }
            try await Self.waitForLog(skill, count: 1)
            let queued = try await node.withClient { client in
                try await [client.submit(SubmitParams(skill: "record", input: "a", priority: 0)),
                           client.submit(SubmitParams(skill: "record", input: "b", priority: 0))]
            }
            let error = await #expect(throws: RPCError.self) {
                try await node.withClient { try await $0.submit(SubmitParams(skill: "record", input: "c", wait: true, priority: 10)) }
            }
            #expect(error?.code == RPCError.unavailable && error?.data?.reason == "queue_full", "not accepted")
            #expect(error?.message.contains("2 low-priority tasks waiting for a node with room (the bound, queueBoundLow)") == true)
            // Another priority has room: backpressure, not a stall.
            let high = try await node.withClient { try await $0.submit(SubmitParams(skill: "record", input: "d", priority: 150)) }
            skill.release()
            try await Self.waitForLog(skill, count: 4)
            #expect(skill.log == ["hold", "d", "a", "b"])
            #expect(queued.count == 2 && high.status != .failed)
        }
    }

    static func waitForStatus(_ node: TestNode, _ taskID: String, _ status: TaskView.Status) async throws {
        try await poll("task \(taskID) to be \(status.rawValue)") {
            try await node.withClient { try await $0.task(taskID) }.status == status
        }
    }

    @Test func identicalCacheableTasksRunOnce() async throws {
        let skill = RecordingSkill()
        try await withTestCluster([TestNodeSpec(skills: ["echo"], customSkills: [Self.record: skill])]) { cluster in
            let node = cluster[0]
            let first = try await node.withClient { try await $0.submit(SubmitParams(skill: "record", input: "hold", cacheable: true)) }
            try await Self.waitForLog(skill, count: 1)
            // The same task while the first runs: it joins the first instead of running.
            let joined = try await node.withClient { try await $0.submit(SubmitParams(skill: "record", input: "hold", cacheable: true)) }
            skill.release()
            try await Self.waitForStatus(node, first.taskId, .succeeded)
            try await Self.waitForStatus(node, joined.taskId, .succeeded)
            // Within the window: straight from the cache.
            let cached = try await node.withClient {
                try await $0.submit(SubmitParams(skill: "record", input: "hold", wait: true, cacheable: true))
            }
            #expect(cached.output == "hold")
            #expect(skill.log == ["hold"], "one run for three tasks")
            // Not cacheable, or another input: it runs.
            _ = try await node.withClient { try await $0.submit(SubmitParams(skill: "record", input: "hold", wait: true)) }
            _ = try await node.withClient { try await $0.submit(SubmitParams(skill: "record", input: "other", wait: true, cacheable: true)) }
            #expect(skill.log == ["hold", "hold", "other"])
        }
    }

    @Test func cancellingTheFirstOfIdenticalCacheableTasksLeavesTheOthersRunning() async throws {
        let skill = RecordingSkill()
        try await withTestCluster([TestNodeSpec(skills: ["echo"], customSkills: [Self.record: skill])]) { cluster in
            let node = cluster[0]
            let first = try await node.withClient { try await $0.submit(SubmitParams(skill: "record", input: "hold", cacheable: true)) }
            try await Self.waitForLog(skill, count: 1)
            let joined = try await node.withClient { try await $0.submit(SubmitParams(skill: "record", input: "hold", cacheable: true)) }
            let cancelled = try await node.withClient { try await $0.cancel(first.taskId) }
            #expect(cancelled.error?.code == "cancelled")
            // The one that joined is not the application's cancel: it runs on its own.
            try await Self.waitForLog(skill, count: 2)
            skill.release()
            try await Self.waitForStatus(node, joined.taskId, .succeeded)
            #expect(try await node.withClient { try await $0.task(joined.taskId) }.output == "hold")
        }
    }

    @Test func aTaskWaitingForAnIdenticalOneEndsAtItsOwnDeadline() async throws {
        let skill = RecordingSkill()
        try await withTestCluster([TestNodeSpec(skills: ["echo"], customSkills: [Self.record: skill])]) { cluster in
            let node = cluster[0]
            let first = try await node.withClient { try await $0.submit(SubmitParams(skill: "record", input: "hold", cacheable: true)) }
            try await Self.waitForLog(skill, count: 1)
            let joined = try await node.withClient {
                try await $0.submit(SubmitParams(skill: "record", input: "hold", timeoutMs: 200, cacheable: true))
            }
            try await Self.waitForStatus(node, joined.taskId, .failed)
            let view = try await node.withClient { try await $0.task(joined.taskId) }
            #expect(view.error?.code == "timed_out" && view.error?.message.contains("identical task \(first.taskId)") == true)
            #expect(try await node.withClient { try await $0.task(first.taskId) }.status == .running, "the first runs on")
            skill.release()
            try await Self.waitForStatus(node, first.taskId, .succeeded)
            #expect(skill.log == ["hold"])
        }
    }
}
