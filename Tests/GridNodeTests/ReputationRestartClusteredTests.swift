import Foundation
import GridClient
import GridCore
import GridLocalAPI
import GridNode
import GridStore
import GridTestKit
import Testing

/// What a node learnt of its peers survives its restarts: a convicted liar stays convicted after a
/// crash (from the stored evidence), and the experience saved at a graceful stop comes back.
@Suite struct ReputationRestartClusteredTests {
    static func route(_ node: TestNode) async throws -> [String: RouteEntryView] {
        let views = try await node.withClient { try await $0.route(RouteParams(skill: "sha256")) }
        return Dictionary(uniqueKeysWithValues: views.map { ($0.nodeId, $0) })
    }

    @Test func aConvictedLiarStaysConvictedAndExperienceSurvivesRestarts() async throws {
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"]), TestNodeSpec(skills: ["sha256"]), TestNodeSpec(skills: ["sha256"]),
            TestNodeSpec(skills: ["echo"], customSkills: [VerificationClusteredTests.sha256: ForgedOutput(output: "forged")]),
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            try await VerificationClusteredTests.waitForProviders(cluster[0], "sha256", count: 3)
            _ = try await cluster[0].withClient {
                try await $0.submit(SubmitParams(skill: "sha256", input: "hello", wait: true, replicas: 3))
            }
            try await VerificationClusteredTests.waitForEvidence(cluster[0], count: 1)
            let liar = cluster[3].nodeID.hex
            #expect(try await Self.route(cluster[0])[liar]?.excluded == "convicted")

            // A crash: nothing was saved but the evidence, which convicts on its own.
            var node = try await cluster.restart(0, bootstrapFrom: [1, 2, 3])
            try await VerificationClusteredTests.waitForProviders(node, "sha256", count: 2)
            try await poll("the liar to be known again") { try await Self.route(node)[liar] != nil }
            #expect(try await Self.route(node)[liar]?.excluded == "convicted")

            // Work done well, then a graceful stop, which saves the experience.
            let honest = [cluster[1].nodeID.hex, cluster[2].nodeID.hex]
            for n in 0..<4 {
                _ = try await node.withClient { try await $0.submit(SubmitParams(skill: "sha256", input: "task \(n)", wait: true)) }
            }
            let before = try await Self.route(node)
            let samples = honest.map { before[$0]?.samples ?? 0 }
            #expect(samples.reduce(0, +) == 4)
            let database = try GridDatabase(path: node.dataDirectory.databasePath)
            let savedBefore = try database.snapshot("experience", as: Experience.Snapshot.self)
            await node.stopGracefully()
            try await poll("the experience to be saved at the stop") {
                try database.snapshot("experience", as: Experience.Snapshot.self) != savedBefore
            }
            node = try await cluster.restart(0, bootstrapFrom: [1, 2, 3])
            try await VerificationClusteredTests.waitForProviders(node, "sha256", count: 2)
            try await poll("the liar to be known again") { try await Self.route(node)[liar] != nil }
            let after = try await Self.route(node)
            #expect(honest.map { after[$0]?.samples ?? 0 } == samples, "each peer's record came back")
            #expect(after[liar]?.excluded == "convicted")
        }
    }
}
