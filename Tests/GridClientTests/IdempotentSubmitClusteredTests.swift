import Foundation
import GridClient
import GridLocalAPI
import GridTestKit
import Testing

/// `task.submit` with an idempotencyKey, over a real node's socket.
@Suite struct IdempotentSubmitClusteredTests {
    @Test func theSameRequestTwiceIsOneTask() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo", "sleep"])]) { cluster in
            try await cluster[0].withClient { api in
                let params = SubmitParams(skill: "echo", input: "once", idempotencyKey: "order-1")
                let first = try await api.submit(params)
                let second = try await api.submit(params)
                #expect(second.taskId == first.taskId)
                // wait is not part of the request: a waiting retry gets the same task, finished.
                var waiting = params
                waiting.wait = true
                let finished = try await api.submit(waiting)
                #expect(finished.taskId == first.taskId && finished.status == .succeeded && finished.output == "once")
                // A default spelled out is the same request.
                let explicit = try await api.submit(SubmitParams(skill: "echo", input: "once", priority: 96, replicas: 1, idempotencyKey: "order-1"))
                #expect(explicit.taskId == first.taskId)
                #expect(try await api.list(TaskListParams(skill: "echo")).map(\.taskId) == [first.taskId])
                // Without a key, or with another one, it is a new task.
                let unkeyed = try await api.submit(SubmitParams(skill: "echo", input: "once"))
                let other = try await api.submit(SubmitParams(skill: "echo", input: "once", idempotencyKey: "order-2"))
                #expect(Set([first.taskId, unkeyed.taskId, other.taskId]).count == 3)
            }
        }
    }

    @Test func aWaitingRetryWaitsForTheTaskStillRunning() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["sleep"])]) { cluster in
            try await cluster[0].withClient { api in
                let first = try await api.submit(SubmitParams(skill: "sleep", input: "200", idempotencyKey: "slow"))
                let waited = try await api.submit(SubmitParams(skill: "sleep", input: "200", wait: true, idempotencyKey: "slow"))
                #expect(waited.taskId == first.taskId)
                #expect(waited.status == .succeeded && waited.output == "200")
            }
        }
    }

    @Test func concurrentSubmitsWithOneKeyMakeOneTask() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["sleep"])]) { cluster in
            let node = cluster[0]
            // Each on its own connection, so the node handles them at the same time.
            let views = try await withThrowingTaskGroup(of: TaskView.self) { group in
                for n in 0..<8 {
                    group.addTask {
                        try await node.withClient {
                            try await $0.submit(SubmitParams(skill: "sleep", input: "100", wait: n % 2 == 0, idempotencyKey: "race"))
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(views.map(\.taskId)).count == 1)
            // Those that waited got the finished task.
            #expect(views.filter { $0.status == .succeeded }.count >= 4)
            let listed = try await node.withClient { try await $0.list(TaskListParams(skill: "sleep")) }
            #expect(listed.map(\.taskId) == [views[0].taskId])
        }
    }

    @Test func aKeyReusedForAnotherRequestIsRefused() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            try await cluster[0].withClient { api in
                let first = try await api.submit(SubmitParams(skill: "echo", input: "a", idempotencyKey: "k"))
                let others: [SubmitParams] = [
                    SubmitParams(skill: "echo", input: "b", idempotencyKey: "k"),
                    SubmitParams(skill: "echo", input: "a", priority: 200, idempotencyKey: "k"),
                    SubmitParams(skill: "echo", input: "a", timeoutMs: 1234, idempotencyKey: "k"),
                    SubmitParams(skill: "echo", input: "a", minTrust: 0.5, idempotencyKey: "k"),
                    SubmitParams(skill: "echo", input: "a", cacheable: true, idempotencyKey: "k"),
                    SubmitParams(skill: "echo", input: "a", retryApplicationErrors: true, idempotencyKey: "k"),
                    SubmitParams(skill: "sha256", input: "a", idempotencyKey: "k"),
                ]
                for params in others {
                    let error = await #expect(throws: RPCError.self) { try await api.submit(params) }
                    #expect(error?.code == RPCError.invalidParams)
                    #expect(
                        error?.message == "idempotencyKey 'k' was already used for a different request (task \(first.taskId)); use a new key")
                }
                // The same input given as base64 is the same request.
                let same = try await api.submit(SubmitParams(skill: "echo", inputBase64: Data("a".utf8).base64EncodedString(), idempotencyKey: "k"))
                #expect(same.taskId == first.taskId)
                #expect(try await api.list().count == 1)
            }
        }
    }

    @Test func keysMustBeOneTo128Characters() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            try await cluster[0].withClient { api in
                for key in ["", String(repeating: "k", count: 129)] {
                    let error = await #expect(throws: RPCError.self) { try await api.submit(SubmitParams(skill: "echo", idempotencyKey: key)) }
                    #expect(error?.code == RPCError.invalidParams)
                    #expect(error?.message.contains("idempotencyKey has \(key.count) characters; use 1-128") == true, "\(error?.message ?? "")")
                }
                _ = try await api.submit(SubmitParams(skill: "echo", idempotencyKey: String(repeating: "é", count: 128)))
                #expect(try await api.list().count == 1)
            }
        }
    }

    @Test func keysSurviveARestart() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            let params = SubmitParams(skill: "echo", input: "kept", wait: true, idempotencyKey: "durable")
            let first = try await cluster[0].withClient { try await $0.submit(params) }
            let node = try await cluster.restart(0)
            let again = try await node.withClient { try await $0.submit(params) }
            #expect(again.taskId == first.taskId && again.output == "kept")
        }
    }
}
