import Foundation
import GridClient
import GridCore
import GridLocalAPI
import GridTestKit
import NIOConcurrencyHelpers
import Testing

/// Applications serving skills over the local socket, on real nodes.
@Suite struct ServingClusteredTests {
    /// Runs an application that serves `skill` on `node` until the returned task is cancelled (as
    /// a killed application's connection closes).
    func application(
        on node: TestNode, _ skill: String, capacity: Int = 1, handler: @escaping GridConnection.SkillHandler
    ) async throws -> Task<Void, any Error> {
        let serving = Flag()
        let app = Task {
            try await node.withClient { connection in
                try await connection.serve(skill, capacity: capacity, handler: handler)
                serving.raise()
                await connection.untilClosed()
            }
        }
        try await poll("the application to serve \(skill)") { serving.isRaised || app.isCancelled }
        return app
    }

    func skills(of peer: NodeID, seenBy node: TestNode) async throws -> [String] {
        try await node.withClient { try await $0.peers() }.first { $0.nodeId == peer.hex }?.skills ?? []
    }

    @Test func aServedSkillIsAnnouncedRunsDelegatedTasksAndIsWithdrawnWhenTheApplicationLeaves() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"]), TestNodeSpec(skills: [], bootstrapFrom: [0])]) { cluster in
            try await cluster.waitUntilMeshed()
            let app = try await application(on: cluster[1], "text.upper") { Array($0.text.uppercased().utf8) }
            try await poll("node 1 to see node 2 serve text.upper") { try await skills(of: cluster[1].nodeID, seenBy: cluster[0]).contains("text.upper") }
            let view = try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "text.upper", input: "hello grid", wait: true)) }
            #expect(view.output == "HELLO GRID")
            #expect(view.executor == cluster[1].nodeID.hex)
            #expect(try await cluster[1].withClient { try await $0.info() }.skills.contains("text.upper"))

            app.cancel()
            _ = await app.result
            try await poll("node 1 to see the skill withdrawn") { try await !skills(of: cluster[1].nodeID, seenBy: cluster[0]).contains("text.upper") }
            #expect(try await cluster[1].withClient { try await $0.info() }.skills.contains("text.upper") == false)
        }
    }

    @Test func aTaskWhoseApplicationIsKilledMidTaskCompletesOnAnotherProvider() async throws {
        try await withTestCluster([TestNodeSpec(skills: [])]) { cluster in
            let node = cluster[0]
            let started = Flag()
            let doomed = try await application(on: node, "work") { _ in
                started.raise()
                try await Task.sleep(for: .seconds(600))  // never answers: it is killed first
                return []
            }
            let submission = Task { try await node.withClient { try await $0.submit(SubmitParams(skill: "work", input: "x", wait: true, timeoutMs: 60_000)) } }
            try await poll("the task to reach the first application") { started.isRaised }
            let rescuer = try await application(on: node, "work") { Array("done by \($0.text)".utf8) }
            doomed.cancel()  // its connection closes: the task goes to the other provider
            let view = try await submission.value
            #expect(view.output == "done by x")
            rescuer.cancel()
        }
    }

    @Test func twoApplicationsShareLoadByCapacity() async throws {
        try await withTestCluster([TestNodeSpec(skills: [])]) { cluster in
            let node = cluster[0]
            let latch = Latch()
            let counts = NIOLockedValueBox<[String: Int]>([:])
            func handler(_ name: String) -> GridConnection.SkillHandler {
                { _ in
                    counts.withLockedValue { $0[name, default: 0] += 1 }
                    await latch.wait()
                    return Array(name.utf8)
                }
            }
            let small = try await application(on: node, "work", capacity: 1, handler: handler("small"))
            let large = try await application(on: node, "work", capacity: 3, handler: handler("large"))
            let submissions = (0..<4).map { n in
                Task { try await node.withClient { try await $0.submit(SubmitParams(skill: "work", input: "\(n)", wait: true)) } }
            }
            try await poll("all four tasks to start") { counts.withLockedValue { $0.values.reduce(0, +) } == 4 }
            #expect(counts.withLockedValue { $0 } == ["small": 1, "large": 3])
            latch.open()
            for submission in submissions { #expect(try await submission.value.status == .succeeded) }
            small.cancel()
            large.cancel()
        }
    }

    @Test func cancellingATaskReachesTheApplication() async throws {
        try await withTestCluster([TestNodeSpec(skills: [])]) { cluster in
            let node = cluster[0]
            let started = Flag()
            let stopped = Flag()
            let app = try await application(on: node, "work") { _ in
                started.raise()
                do { try await Task.sleep(for: .seconds(600)) } catch { stopped.raise() }
                return []
            }
            let accepted = try await node.withClient { try await $0.submit(SubmitParams(skill: "work", input: "x")) }
            try await poll("the task to start") { started.isRaised }
            let view = try await node.withClient { try await $0.cancel(accepted.taskId) }
            #expect(view.error?.code == "cancelled")
            try await poll("the application's handler to be cancelled") { stopped.isRaised }
            app.cancel()
        }
    }

    @Test func aTaskTheApplicationNeverAnswersFailsAtItsDeadlineAndTheApplicationIsTold() async throws {
        try await withTestCluster([TestNodeSpec(skills: [])]) { cluster in
            let node = cluster[0]
            try await RawLineClient.withConnection(socketPath: node.socketPath) { app in
                try await app.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"skill.serve","params":{"skills":[{"name":"silent"}]}}"#)
                #expect(try await app.readLine()?.contains(#""served""#) == true)
                let submission = Task {
                    try await node.withClient { try await $0.submit(SubmitParams(skill: "silent", input: "x", wait: true, timeoutMs: 300)) }
                }
                let run = try #require(try await app.readLine())
                #expect(run.contains(#""method":"task.run""#))
                let failure = await #expect(throws: RPCError.self) { try await submission.value }
                #expect(failure?.data?.reason == "timed_out")
                let cancel = try #require(try await app.readLine())
                #expect(cancel.contains(#""method":"task.cancel""#) && cancel.contains(#""reason":"deadline""#), "\(cancel)")
            }
        }
    }

    @Test(arguments: [
        (#"{"output":"a","outputBase64":"YQ=="}"#, "not both"),
        (#"{}"#, "neither"),
        (#"{"outputBase64":"%%%"}"#, "base64"),
        (#"{"output":"0123456789"}"#, "at most 8"),
    ])
    func aBadAnswerFailsItsTaskOnThisProviderAndTheApplicationIsTold(_ answer: String, _ mentioned: String) async throws {
        try await withTestCluster([TestNodeSpec(skills: [], configure: { $0.maxTaskBytes = 8; $0.maxRetries = 0 })]) { cluster in
            let node = cluster[0]
            try await RawLineClient.withConnection(socketPath: node.socketPath) { app in
                try await app.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"skill.serve","params":{"skills":[{"name":"work"}]}}"#)
                _ = try await app.readLine()
                let submission = Task { try await node.withClient { try await $0.submit(SubmitParams(skill: "work", input: "x", wait: true)) } }
                let run = try #require(try await app.readLine())
                let id = try #require(run.firstMatch(of: /"id":"(node-\d+)"/)?.1)
                try await app.sendLine(#"{"jsonrpc":"2.0","id":"\#(id)","result":\#(answer)}"#)
                let told = try #require(try await app.readLine())
                #expect(told.contains(#""method":"node.error""#) && told.contains("bad answer") && told.contains(mentioned), "\(told)")
                let failure = await #expect(throws: RPCError.self) { try await submission.value }
                #expect(failure?.message.contains("bad answer") == true, "\(failure?.message ?? "")")
                // The node is unharmed: a good answer to the next task is taken.
                let next = Task { try await node.withClient { try await $0.submit(SubmitParams(skill: "work", input: "y", wait: true)) } }
                let second = try #require(try await app.readLine())
                let secondID = try #require(second.firstMatch(of: /"id":"(node-\d+)"/)?.1)
                try await app.sendLine(#"{"jsonrpc":"2.0","id":"\#(secondID)","result":{"output":"ok"}}"#)
                #expect(try await next.value.output == "ok")
            }
        }
    }

    @Test func answersForTasksNotGivenOrAnsweredTwiceAreIgnoredWithAnError() async throws {
        try await withTestCluster([TestNodeSpec(skills: [])]) { cluster in
            let node = cluster[0]
            try await RawLineClient.withConnection(socketPath: node.socketPath) { app in
                try await app.sendLine(#"{"jsonrpc":"2.0","id":"node-77","result":{"output":"x"}}"#)
                let unknown = try #require(try await app.readLine())
                #expect(unknown.contains("node.error") && unknown.contains("ignored"), "\(unknown)")
                try await app.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"skill.serve","params":{"skills":[{"name":"work"}]}}"#)
                _ = try await app.readLine()
                let submission = Task { try await node.withClient { try await $0.submit(SubmitParams(skill: "work", input: "x", wait: true)) } }
                let run = try #require(try await app.readLine())
                let id = try #require(run.firstMatch(of: /"id":"(node-\d+)"/)?.1)
                try await app.sendLine(#"{"jsonrpc":"2.0","id":"\#(id)","result":{"output":"first"}}"#)
                #expect(try await submission.value.output == "first")
                try await app.sendLine(#"{"jsonrpc":"2.0","id":"\#(id)","result":{"output":"second"}}"#)
                let twice = try #require(try await app.readLine())
                #expect(twice.contains("node.error") && twice.contains("already answered"), "\(twice)")
                try await app.sendLine(#"{"jsonrpc":"2.0","id":2,"method":"skill.serve","params":{"skills":[{"name":"echo"},{"name":"Bad Name"}]}}"#)
                let refused = try #require(try await app.readLine())
                #expect(refused.contains("-32602"), "\(refused)")
            }
        }
    }

    @Test func progressAndEventsReachTheSubmittingApplication() async throws {
        try await withTestCluster([TestNodeSpec(skills: [])]) { cluster in
            let node = cluster[0]
            let app = try await application(on: node, "work") { task in
                await task.progress(0.5, message: "half way")
                return Array("done".utf8)
            }
            let events = NIOLockedValueBox<[TaskEventView]>([])
            let submitted = NIOLockedValueBox<String?>(nil)
            let view = try await node.withClient { connection in
                try await connection.submit(
                    SubmitParams(skill: "work", input: "x", wait: true), onSubmitted: { id in submitted.withLockedValue { $0 = id } },
                    onEvent: { event in events.withLockedValue { $0.append(event) } })
            }
            #expect(submitted.withLockedValue { $0 } == view.taskId, "the task ID came before the result")
            let kinds = events.withLockedValue { $0.map(\.kind) }
            #expect(kinds.first == .submitted && kinds.last == .succeeded, "\(kinds)")
            #expect(kinds.contains(.started))
            let progress = events.withLockedValue { $0.first { $0.kind == .progress } }
            #expect(progress?.fraction == 0.5 && progress?.message == "half way")
            app.cancel()
        }
    }
}

extension ServingClusteredTests {
    @Test func progressFromAnApplicationOnAnotherNodeReachesTheSubmitter() async throws {
        try await withTestCluster([TestNodeSpec(skills: []), TestNodeSpec(skills: [], bootstrapFrom: [0])]) { cluster in
            try await cluster.waitUntilMeshed()
            let seen = Latch()
            let app = try await application(on: cluster[1], "render") { task in
                await task.progress(0.25, message: "a quarter")
                await seen.wait()  // answers once the submitter has seen the progress
                return Array("rendered".utf8)
            }
            try await poll("node 1 to see node 2 serve render") { try await skills(of: cluster[1].nodeID, seenBy: cluster[0]).contains("render") }
            let events = NIOLockedValueBox<[TaskEventView]>([])
            let view = try await cluster[0].withClient { connection in
                try await connection.submit(SubmitParams(skill: "render", input: "scene", wait: true)) { _ in } onEvent: { event in
                    events.withLockedValue { $0.append(event) }
                    if event.kind == .progress { seen.open() }
                }
            }
            #expect(view.output == "rendered")
            let remote = cluster[1].nodeID.hex
            let all = events.withLockedValue { $0 }
            #expect(all.map(\.kind) == [.submitted, .sent, .accepted, .started, .progress, .succeeded], "\(all.map(\.kind))")
            let progress = all.first { $0.kind == .progress }
            #expect(progress?.nodeId == remote && progress?.fraction == 0.25 && progress?.message == "a quarter")
            #expect(all.first { $0.kind == .started }?.nodeId == remote)
            app.cancel()
        }
    }
}

extension RawLineClient {
    func sendLine(_ text: String) async throws { try await send(text + "\n") }
}
