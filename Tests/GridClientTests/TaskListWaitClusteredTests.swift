import Foundation
import GridClient
import GridLocalAPI
import GridTestKit
import Testing

/// `task.list` and `task.wait` over a real node's socket.
@Suite struct TaskListWaitClusteredTests {
    static let skills = TestNodeSpec(skills: ["echo", "fail", "sha256", "sleep"])
    /// Long enough never to end during a test; each test cancels it.
    static let long = SubmitParams(skill: "sleep", input: "600000", timeoutMs: 600_000)

    @Test func listsNewestFirstWithFilters() async throws {
        try await withTestCluster([Self.skills]) { cluster in
            try await cluster[0].withClient { api in
                let echo = try await api.submit(SubmitParams(skill: "echo", input: "a", wait: true))
                let hash = try await api.submit(SubmitParams(skill: "sha256", input: "b", wait: true))
                let failure = try await #require(throws: RPCError.self) { try await api.submit(SubmitParams(skill: "fail", input: "no", wait: true)) }
                let failedID = try #require(failure.data?.taskId)
                let running = try await api.submit(Self.long)
                let order = [running.taskId, failedID, hash.taskId, echo.taskId]

                let all = try await api.list()
                #expect(all.map(\.taskId) == order)
                #expect(all.allSatisfy { $0.attempts == nil }, "a listing leaves attempts out")
                #expect(zip(all, all.dropFirst()).allSatisfy { $0.submittedAtMs >= $1.submittedAtMs })
                #expect(all.first { $0.taskId == hash.taskId }?.output == hash.output)

                #expect(try await api.list(TaskListParams(status: .running)).map(\.taskId) == [running.taskId])
                #expect(try await api.list(TaskListParams(status: .succeeded)).map(\.taskId) == [hash.taskId, echo.taskId])
                #expect(try await api.list(TaskListParams(status: .failed)).map(\.taskId) == [failedID])
                #expect(try await api.list(TaskListParams(skill: "sha256")).map(\.taskId) == [hash.taskId])
                #expect(try await api.list(TaskListParams(status: .failed, skill: "echo")).isEmpty)
                #expect(try await api.list(TaskListParams(limit: 2)).map(\.taskId) == Array(order.prefix(2)))

                // Paging: only tasks submitted strictly before the given instant.
                let cut = all[1].submittedAtMs
                let page = try await api.list(TaskListParams(beforeMs: cut))
                #expect(page.allSatisfy { $0.submittedAtMs < cut })
                #expect(page.map(\.taskId) == all.filter { $0.submittedAtMs < cut }.map(\.taskId))
                #expect(try await api.list(TaskListParams(beforeMs: all.last!.submittedAtMs)).isEmpty)

                _ = try await api.cancel(running.taskId)
            }
        }
    }

    @Test func listRefusesBadValuesNamingTheAllowedOnes() async throws {
        try await withTestCluster([Self.skills]) { cluster in
            try await cluster[0].withClient { api in
                var badStatus = TaskListParams()
                badStatus.status = "done"
                let cases: [(TaskListParams, String)] = [
                    (badStatus, #"status is 'done'; use "running", "succeeded" or "failed""#),
                    (TaskListParams(limit: 0), "limit is 0; use 1-1000"),
                    (TaskListParams(limit: 1001), "limit is 1001; use 1-1000"),
                    (TaskListParams(skill: "Bad!"), "skill: "),
                ]
                for (params, message) in cases {
                    let error = await #expect(throws: RPCError.self) { try await api.list(params) }
                    #expect(error?.code == RPCError.invalidParams)
                    #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
                }
            }
        }
    }

    @Test func waitAllAnswersWhenEveryTaskHasEndedInTheOrderAsked() async throws {
        try await withTestCluster([Self.skills]) { cluster in
            try await cluster[0].withClient { api in
                let slow = try await api.submit(SubmitParams(skill: "sleep", input: "300"))
                let quick = try await api.submit(SubmitParams(skill: "sleep", input: "20"))
                let failing = try await api.submit(SubmitParams(skill: "fail", input: "broken"))
                let done = try await api.submit(SubmitParams(skill: "echo", input: "x", wait: true))
                let asked = [slow.taskId, done.taskId, failing.taskId, quick.taskId, slow.taskId]
                let result = try await api.wait(TaskWaitParams(taskIds: asked))
                #expect(result.pending.isEmpty)
                #expect(result.done.map(\.taskId) == asked)
                #expect(result.done.map(\.status) == [.succeeded, .succeeded, .failed, .succeeded, .succeeded])
                #expect(result.done[0].output == "300" && result.done[3].output == "20")
                #expect(result.done[2].error?.code == "skill_failed" && result.done[2].error?.message == "broken")
                #expect(result.done[0].attempts?.isEmpty == false, "ended tasks come with their attempts, as task.get gives them")
            }
        }
    }

    @Test func waitAnyAnswersWhenOneHasEnded() async throws {
        try await withTestCluster([Self.skills]) { cluster in
            try await cluster[0].withClient { api in
                let long = try await api.submit(Self.long)
                let short = try await api.submit(SubmitParams(skill: "sleep", input: "30"))
                let result = try await api.wait(TaskWaitParams(taskIds: [long.taskId, short.taskId], mode: .any))
                #expect(result.done.map(\.taskId) == [short.taskId])
                #expect(result.pending == [long.taskId])

                // A task that has ended already counts at once.
                let again = try await api.wait(TaskWaitParams(taskIds: [long.taskId, short.taskId], mode: .any))
                #expect(again == result)
                _ = try await api.cancel(long.taskId)
            }
        }
    }

    @Test func waitAnswersAtTheTimeoutWithWhatIsStillPending() async throws {
        try await withTestCluster([Self.skills]) { cluster in
            try await cluster[0].withClient { api in
                let long = try await api.submit(Self.long)
                let done = try await api.submit(SubmitParams(skill: "echo", input: "y", wait: true))
                let all = try await api.wait(TaskWaitParams(taskIds: [long.taskId, done.taskId], timeoutMs: 100))
                #expect(all.done.map(\.taskId) == [done.taskId])
                #expect(all.pending == [long.taskId])
                let any = try await api.wait(TaskWaitParams(taskIds: [long.taskId], mode: .any, timeoutMs: 50))
                #expect(any.done.isEmpty && any.pending == [long.taskId])
                // The connection goes on, and the task still runs; a wait that times out left nothing behind.
                #expect(try await api.task(long.taskId).status == .running)
                let cancelled = try await api.cancel(long.taskId)
                let ended = try await api.wait(TaskWaitParams(taskIds: [long.taskId]))
                #expect(ended.done == [cancelled] && ended.pending.isEmpty)
            }
        }
    }

    @Test func waitSeesACancellationOfATaskItWaitsFor() async throws {
        try await withTestCluster([Self.skills]) { cluster in
            let node = cluster[0]
            let long = try await node.withClient { try await $0.submit(Self.long) }
            async let waited = node.withClient { try await $0.wait(TaskWaitParams(taskIds: [long.taskId])) }
            // Whether the wait is in place before the cancel or not, it answers with the cancelled task.
            _ = try await node.withClient { try await $0.cancel(long.taskId) }
            let result = try await waited
            #expect(result.done.map(\.taskId) == [long.taskId])
            #expect(result.done.first?.error?.code == "cancelled")
        }
    }

    @Test func unknownAndBadIDsAreErrorsAndNothingIsWaitedFor() async throws {
        try await withTestCluster([Self.skills]) { cluster in
            try await cluster[0].withClient { api in
                let long = try await api.submit(Self.long)
                let unknown = String(repeating: "0", count: 32)
                let missing = await #expect(throws: RPCError.self) { try await api.wait(TaskWaitParams(taskIds: [long.taskId, unknown])) }
                #expect(missing?.code == RPCError.taskNotFound)
                #expect(missing?.data?.taskId == unknown)
                #expect(missing?.message.contains("no task \(unknown) on this node") == true)

                var badMode = TaskWaitParams(taskIds: [long.taskId])
                badMode.mode = "some"
                let cases: [(TaskWaitParams, String)] = [
                    (TaskWaitParams(taskIds: []), "taskIds has 0 IDs; give 1-1000"),
                    (TaskWaitParams(taskIds: Array(repeating: long.taskId, count: 1001)), "taskIds has 1001 IDs; give 1-1000"),
                    (TaskWaitParams(taskIds: [long.taskId, "xyz"]), "taskIds[1]: "),
                    (badMode, #"mode is 'some'; use "all" or "any""#),
                    (TaskWaitParams(taskIds: [long.taskId], timeoutMs: 0), "timeoutMs is 0; use 1-600000"),
                ]
                for (params, message) in cases {
                    let error = await #expect(throws: RPCError.self) { try await api.wait(params) }
                    #expect(error?.code == RPCError.invalidParams)
                    #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
                }
                #expect(try await api.task(long.taskId).status == .running)
                _ = try await api.cancel(long.taskId)
            }
        }
    }
}
