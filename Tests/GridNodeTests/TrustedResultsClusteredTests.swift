import Foundation
import GridClient
import GridCore
import GridCrypto
import GridLocalAPI
import GridNode
import GridTestKit
import Testing

/// Results a requester can trust (docs/ROUTING.md, section 5): verification by one more run,
/// tie-breakers that convict the liar of a split, strict delivery, and exploration that finds
/// newcomers — in running nodes, with an in-process liar.
@Suite struct TrustedResultsClusteredTests {
    static let sha256 = VerificationClusteredTests.sha256
    static let helloDigest = VerificationClusteredTests.helloDigest

    /// The node's own defaults for verification and exploration (the test cluster turns them off).
    static func defaults(_ settings: inout NodeSettings) {
        let defaults = NodeSettings()
        settings.spotCheckFraction = defaults.spotCheckFraction
        settings.verifyProbation = defaults.verifyProbation
        settings.explorationShare = defaults.explorationShare
    }

    static func counters(_ node: TestNode) async throws -> TaskCounters {
        try await node.withClient { try await $0.metrics() }.tasks
    }

    static func wrongResults(of peer: NodeID, seenBy node: TestNode) async throws -> Int {
        try await node.withClient { try await $0.peers() }.first { $0.nodeId == peer.hex }?.wrongResults ?? 0
    }

    /// A requester without the skill; an honest provider and a liar get the task's two runs while
    /// a second honest provider is busy; the split waits for a tie-breaker, which the second
    /// honest provider runs once it is free: the liar is convicted, the application gets the
    /// honest output, and nothing is delivered before the vote is settled.
    @Test(arguments: [(2, nil), (1, "strict")] as [(Int, String?)])
    func aSplitIsSettledByATieBreakerThatConvictsTheLiar(_ replicas: Int, _ verify: String?) async throws {
        let gate = Gate()
        let hold = try SkillID("hold")
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"]),
            TestNodeSpec(skills: ["sha256"]),
            TestNodeSpec(skills: ["echo"], customSkills: [Self.sha256: ForgedOutput(output: "forged")]),
            TestNodeSpec(skills: ["sha256"], customSkills: [hold: gate]) { settings in
                settings.maxConcurrentTasks = 1
                settings.maxQueuedTasks = 0
                settings.announceIntervalMs = 50  // its load reaches the requester soon
            },
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            try await VerificationClusteredTests.waitForProviders(cluster[0], "sha256", count: 3)
            _ = try await cluster[3].withClient { try await $0.submit(SubmitParams(skill: "hold", input: "x")) }
            try await poll("the second honest provider at capacity, seen from the requester") {
                try await cluster[0].withClient { try await $0.route(RouteParams(skill: "sha256")) }
                    .contains { $0.nodeId == cluster[3].nodeID.hex && $0.excluded == "atCapacity" }
            }
            let submitted = try await cluster[0].withClient {
                try await $0.submit(SubmitParams(skill: "sha256", input: "hello", replicas: replicas, verify: verify))
            }
            try await poll("a tie-breaker asked for") { try await Self.counters(cluster[0]).tieBreakers == 1 }
            let waiting = try await cluster[0].withClient { try await $0.task(submitted.taskId) }
            #expect(waiting.status == .running, "no result before the split is settled")

            gate.open()
            let done = try await cluster[0].withClient { try await $0.wait(TaskWaitParams(taskIds: [submitted.taskId], timeoutMs: 20_000)) }
            let view = try #require(done.done.first)
            #expect(view.output == Self.helloDigest)
            #expect([cluster[1].nodeID.hex, cluster[3].nodeID.hex].contains(view.executor))
            try await VerificationClusteredTests.waitForEvidence(cluster[0], count: 1)
            let evidence = try #require(try await cluster[0].withClient { try await $0.evidence(EvidenceParams()) }.first)
            #expect(evidence.nodeId == cluster[2].nodeID.hex && evidence.kind == "replica_vote")
            #expect(evidence.theirDigest == SHA256.hex(Array("forged".utf8)))
            #expect(try await Self.wrongResults(of: cluster[1].nodeID, seenBy: cluster[0]) == 0)
            let route = try await cluster[0].withClient { try await $0.route(RouteParams(skill: "sha256")) }
            #expect(route.first { $0.nodeId == cluster[2].nodeID.hex }?.excluded == "convicted")

            // Two runs agreed against the liar: the proof travels. A node that joins later gets it
            // from the requester, checks it by running the task itself, and convicts the liar too.
            let observer = try await cluster.add(TestNodeSpec(skills: ["sha256"]), dialling: [cluster[0].address])
            try await poll("the newcomer convicts the liar from the shared proof") {
                try await observer.withClient { try await $0.evidence(EvidenceParams()) }
                    .contains { $0.nodeId == cluster[2].nodeID.hex && $0.kind == "shared" }
            }
            #expect(try await observer.withClient { try await $0.evidence(EvidenceParams()) }.allSatisfy { $0.nodeId == cluster[2].nodeID.hex })
        }
    }

    /// Defaults: two honest providers have worked for the requester; a liar joins. Exploration
    /// gives the newcomer a task, verification checks its first results on the provider with the
    /// longest record, the split goes to the other honest one, and the liar gets no more work. Its
    /// result is held until the check settles (it is on probation), so none reaches the application.
    @Test func withDefaultsALiarThatJoinsIsTriedCheckedAndConvicted() async throws {
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"], configure: Self.defaults),
            TestNodeSpec(skills: ["sha256"]),
            TestNodeSpec(skills: ["sha256"]),
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            try await VerificationClusteredTests.waitForProviders(cluster[0], "sha256", count: 2)
            var wrong = 0
            for n in 0..<20 {
                let view = try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "sha256", input: "\(n)", wait: true)) }
                #expect(view.output == SHA256.hex(Array("\(n)".utf8)))
            }
            let liar = try await cluster.add(
                TestNodeSpec(skills: ["echo"], customSkills: [Self.sha256: ForgedOutput(output: "forged")]),
                dialling: [cluster[0].address])
            try await VerificationClusteredTests.waitForProviders(cluster[0], "sha256", count: 3)
            var toTheLiar = 0
            for n in 20..<60 {
                let view = try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "sha256", input: "\(n)", wait: true)) }
                if view.output != SHA256.hex(Array("\(n)".utf8)) { wrong += 1 }
                if view.executor == liar.nodeID.hex { toTheLiar += 1 }
            }
            try await poll("the liar convicted") { try await Self.wrongResults(of: liar.nodeID, seenBy: cluster[0]) >= 1 }
            #expect(wrong == 0, "a provider on probation has its results held until their check settles")
            #expect(toTheLiar <= 1)
            for n in 60..<70 {
                let view = try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "sha256", input: "\(n)", wait: true)) }
                #expect(view.output == SHA256.hex(Array("\(n)".utf8)) && view.executor != liar.nodeID.hex)
            }
            let counters = try await Self.counters(cluster[0])
            #expect(counters.convictions >= 1 && counters.verified >= 1)
            #expect(try await Self.wrongResults(of: cluster[1].nodeID, seenBy: cluster[0]) == 0)
            #expect(try await Self.wrongResults(of: cluster[2].nodeID, seenBy: cluster[0]) == 0)
        }
    }

    /// Defaults, and a single provider of the skill: its results on probation cannot be checked
    /// by anyone, so they are delivered unchecked rather than held or failed.
    @Test func aResultNobodyCanCheckIsDeliveredUnchecked() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"], configure: Self.defaults), TestNodeSpec(skills: ["sha256"])]) { cluster in
            try await cluster.waitUntilMeshed()
            try await VerificationClusteredTests.waitForProviders(cluster[0], "sha256", count: 1)
            for n in 0..<4 {
                let view = try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "sha256", input: "\(n)", wait: true)) }
                #expect(view.status == .succeeded && view.output == SHA256.hex(Array("\(n)".utf8)) && view.executor == cluster[1].nodeID.hex)
            }
            #expect(try await Self.counters(cluster[0]).verified == 4, "each result was weighed for a check")
        }
    }

    /// Defaults: a provider on probation, and a second one whose run never ends. The first's
    /// result is held for its check on the second; when the task's deadline passes with the check
    /// still out, the held result is delivered unchecked (nothing contradicted it), not failed.
    @Test func aHeldResultWhoseCheckOutlivesTheDeadlineIsDeliveredUnchecked() async throws {
        let requester = TestNodeSpec(skills: ["echo"]) { settings in
            Self.defaults(&settings)
            settings.trustIntervalMs = 100  // the pin below shows in the trust scores soon
        }
        try await withTestCluster([requester, TestNodeSpec(skills: ["sha256"])]) { cluster in
            try await cluster.waitUntilMeshed()
            try await VerificationClusteredTests.waitForProviders(cluster[0], "sha256", count: 1)
            // Pinned, the honest provider ranks first by trust whatever the latencies under load.
            _ = try await cluster[0].withClient { try await $0.addPeer(PeerAddParams(address: "\(cluster[1].address)", nodeId: cluster[1].nodeID.hex)) }
            try await poll("the pinned provider fully trusted") {
                try await cluster[0].withClient { try await $0.route(RouteParams(skill: "sha256")) }
                    .contains { $0.nodeId == cluster[1].nodeID.hex && $0.trust >= 0.99 }
            }
            for n in 0..<3 {  // the honest provider gets a record (delivered unchecked: nobody else has the skill)
                _ = try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "sha256", input: "\(n)", wait: true)) }
            }
            let staller = try await cluster.add(TestNodeSpec(skills: ["echo"], customSkills: [Self.sha256: Stall()]), dialling: [cluster[0].address])
            try await VerificationClusteredTests.waitForProviders(cluster[0], "sha256", count: 2)
            let submitted = try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "sha256", input: "late", timeoutMs: 4_000)) }
            // Waited for longer than the task's own timeout: the outcome comes just after it.
            let done = try await cluster[0].withClient { try await $0.wait(TaskWaitParams(taskIds: [submitted.taskId], timeoutMs: 20_000)) }
            let view = try #require(done.done.first)
            #expect(view.status == .succeeded && view.output == SHA256.hex(Array("late".utf8)), "\(view.error?.message ?? "")")
            #expect(view.executor == cluster[1].nodeID.hex)
            #expect(try await Self.wrongResults(of: staller.nodeID, seenBy: cluster[0]) == 0, "a check that never answered convicts nobody")
        }
    }

    /// A deterministic skill whose run never ends (until it is cancelled).
    struct Stall: Skill {
        var isDeterministic: Bool { true }
        func run(_ input: [UInt8]) async -> TaskOutcome {
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(1)) }
            return .failure(TaskFailure(.cancelled, "cancelled"))
        }
    }

    /// Two new providers, both on probation, check each other's results while tasks keep coming:
    /// the hold on a provider under check keeps ordinary work from it, never a check, so nothing
    /// waits for its deadline.
    @Test func providersOnProbationCheckEachOther() async throws {
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"], configure: Self.defaults), TestNodeSpec(skills: ["sha256"]), TestNodeSpec(skills: ["sha256"]),
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            try await VerificationClusteredTests.waitForProviders(cluster[0], "sha256", count: 2)
            let ids = try await cluster[0].withClient { client in
                var ids: [String] = []
                for n in 0..<24 { ids.append(try await client.submit(SubmitParams(skill: "sha256", input: "\(n)", timeoutMs: 20_000)).taskId) }
                return ids
            }
            let done = try await cluster[0].withClient { try await $0.wait(TaskWaitParams(taskIds: ids, timeoutMs: 30_000)) }
            #expect(done.pending.isEmpty)
            #expect(done.done.allSatisfy { $0.status == .succeeded }, "\(done.done.compactMap(\.error?.message).prefix(2))")
            #expect(try await Self.counters(cluster[0]).verified >= 2, "each new provider's first results are checked")
        }
    }

    /// An honest newcomer next to an established provider gets a bounded share of the work.
    @Test func explorationFindsAnHonestNewcomer() async throws {
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"]) { $0.explorationShare = 0.1 },
            TestNodeSpec(skills: ["sha256"]),
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            for n in 0..<12 {
                _ = try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "sha256", input: "\(n)", wait: true)) }
            }
            let newcomer = try await cluster.add(TestNodeSpec(skills: ["sha256"]), dialling: [cluster[0].address])
            try await VerificationClusteredTests.waitForProviders(cluster[0], "sha256", count: 2)
            var executors: [String: Int] = [:]
            for n in 12..<42 {
                let view = try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "sha256", input: "\(n)", wait: true)) }
                executors[view.executor ?? "", default: 0] += 1
            }
            let share = executors[newcomer.nodeID.hex, default: 0]
            #expect(share >= 1, "the newcomer was tried: \(executors)")
        }
    }

    /// A skill whose outputs legitimately differ: its results are never checked, and runs that
    /// disagree convict nobody.
    @Test func aNonDeterministicSkillIsNeverCheckedNorConvicted() async throws {
        let draw = try SkillID("draw")
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"], configure: Self.defaults),
            TestNodeSpec(skills: ["echo"], customSkills: [draw: ForgedOutput.Undeclared(output: "one")]),
            TestNodeSpec(skills: ["echo"], customSkills: [draw: ForgedOutput.Undeclared(output: "two")]),
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            try await VerificationClusteredTests.waitForProviders(cluster[0], "draw", count: 2)
            for n in 0..<6 {
                let view = try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "draw", input: "\(n)", wait: true)) }
                #expect(["one", "two"].contains(view.output))
            }
            #expect(try await Self.counters(cluster[0]).verified == 0, "nothing to compare: no check")
            let error = await #expect(throws: RPCError.self) {
                try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "draw", input: "x", wait: true, replicas: 2)) }
            }
            #expect(error?.data?.reason == "no_quorum")
            #expect(try await cluster[0].withClient { try await $0.evidence(EvidenceParams()) }.isEmpty)
            #expect(try await Self.wrongResults(of: cluster[1].nodeID, seenBy: cluster[0]) == 0)
            #expect(try await Self.wrongResults(of: cluster[2].nodeID, seenBy: cluster[0]) == 0)
        }
    }
}

extension ForgedOutput {
    /// A fixed output from a skill that does not declare itself deterministic.
    struct Undeclared: Skill {
        let output: String
        func run(_ input: [UInt8]) async -> TaskOutcome { .success(output: Array(output.utf8)) }
    }
}
