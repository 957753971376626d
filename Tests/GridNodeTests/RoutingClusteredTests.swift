import Foundation
import GridClient
import GridCore
import GridLocalAPI
import GridTestKit
import Testing

/// The router and reputation inside running nodes, seen through the local API.
@Suite struct RoutingClusteredTests {
    @Test func routeExplainRanksTheProvidersAndSaysWhyOthersAreOut() async throws {
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"]), TestNodeSpec(skills: ["sha256"]), TestNodeSpec(skills: ["echo", "sha256"]),
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            let entries = try await cluster[0].withClient { try await $0.route(RouteParams(skill: "sha256")) }
            let ranked = entries.filter { $0.rank != nil }
            #expect(Set(ranked.map(\.nodeId)) == [cluster[1].nodeID.hex, cluster[2].nodeID.hex])
            #expect(ranked.map(\.rank) == [1, 2])
            #expect(ranked[0].score >= ranked[1].score)
            for entry in ranked {
                #expect(!entry.local)
                #expect((0...1).contains(entry.score) && entry.rating != nil && entry.load != nil)
            }
            let local = try #require(entries.first { $0.local })
            #expect(local.nodeId == cluster[0].nodeID.hex && local.excluded == "lacksSkill" && local.rank == nil)

            // A skill this node has: it is a candidate too, with no network cost.
            let echo = try await cluster[0].withClient { try await $0.route(RouteParams(skill: "echo")) }
            #expect(echo.first { $0.local }?.latency == 1)
            #expect(echo.first { $0.nodeId == cluster[1].nodeID.hex }?.excluded == "lacksSkill")

            // A minimum trust nobody has yet removes the peers, naming the filter.
            let strict = try await cluster[0].withClient { try await $0.route(RouteParams(skill: "sha256", minTrust: 0.5)) }
            #expect(strict.allSatisfy { $0.rank == nil })
            #expect(strict.filter { !$0.local }.allSatisfy { $0.excluded == "belowMinimumTrust" })

            let error = await #expect(throws: RPCError.self) {
                try await cluster[0].withClient { try await $0.route(RouteParams(skill: "Bad Skill")) }
            }
            #expect(error?.code == RPCError.invalidParams)
        }
    }

    @Test func peersShowEachPeersRecordOnceItHasWorked() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"]), TestNodeSpec(skills: ["sha256", "fail"])]) { cluster in
            try await cluster.waitUntilMeshed()
            let executor = cluster[1].nodeID.hex
            for n in 0..<3 {
                let view = try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "sha256", input: "\(n)", wait: true)) }
                #expect(view.executor == executor)
            }
            _ = try? await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "fail", input: "no", wait: true)) }
            try await poll("the executor's record in peers.list") {
                let peer = try await cluster[0].withClient { try await $0.peers() }.first { $0.nodeId == executor }
                return peer?.samples == 3
            }
            let peer = try #require(try await cluster[0].withClient { try await $0.peers() }.first { $0.nodeId == executor })
            #expect(peer.successRate == 1, "an application error is not a failure of the node")
            #expect((peer.latencyMs ?? -1) >= 0)
            #expect(peer.trust != nil && peer.wrongResults == 0)
        }
    }
}
