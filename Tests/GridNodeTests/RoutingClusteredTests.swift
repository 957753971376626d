import Foundation
import GridClient
import GridCore
import GridCrypto
import GridLocalAPI
import GridNode
import GridTestKit
import GridWire
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

/// A skill that returns the same forged output whatever the input: a lying executor.
/// A liar: the same output whatever the input, declared deterministic (as a liar would).
struct ForgedOutput: Skill {
    let output: String
    var isDeterministic: Bool { true }
    func run(_ input: [UInt8]) async -> TaskOutcome { .success(output: Array(output.utf8)) }
}

/// A skill that holds its slot until the test opens the gate.
final class Gate: Skill, Sendable {
    private let opened: AsyncStream<Void>
    private let opener: AsyncStream<Void>.Continuation

    init() {
        (opened, opener) = AsyncStream.makeStream(of: Void.self)
    }

    func open() { opener.yield() }

    func run(_ input: [UInt8]) async -> TaskOutcome {
        for await _ in opened { break }
        return .success(output: input)
    }
}

@Suite struct VerificationClusteredTests {
    static let sha256 = try! SkillID("sha256")
    static let helloDigest = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

    /// The verified authors of an evidence entry's two signed results.
    static func authors(of evidence: EvidenceView) throws -> (theirs: NodeID, other: NodeID) {
        let theirs = try Grid_V1_SignedEnvelope(serializedBytes: Hex.decode(evidence.theirResult)).verify()
        let other = try Grid_V1_SignedEnvelope(serializedBytes: Hex.decode(evidence.otherResult)).verify()
        return (theirs.author, other.author)
    }

    /// Waits until `node` has `count` wrong results on record.
    static func waitForEvidence(_ node: TestNode, count: Int) async throws {
        try await poll("\(count) wrong results on record") {
            try await node.withClient { try await $0.evidence(EvidenceParams()) }.count == count
        }
    }

    /// Waits until `node` could route `skill` to `count` nodes.
    static func waitForProviders(_ node: TestNode, _ skill: String, count: Int) async throws {
        try await poll("\(count) nodes offering \(skill)") {
            try await node.withClient { try await $0.route(RouteParams(skill: skill)) }.filter { $0.rank != nil }.count >= count
        }
    }

    @Test func theReplicasMajorityWinsAndTheDissenterIsConvictedWithEvidence() async throws {
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"]), TestNodeSpec(skills: ["sha256"]), TestNodeSpec(skills: ["sha256"]),
            TestNodeSpec(skills: ["echo"], customSkills: [Self.sha256: ForgedOutput(output: "forged")]),
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            try await Self.waitForProviders(cluster[0], "sha256", count: 3)
            let view = try await cluster[0].withClient {
                try await $0.submit(SubmitParams(skill: "sha256", input: "hello", wait: true, replicas: 3))
            }
            #expect(view.output == Self.helloDigest)
            #expect([cluster[1].nodeID.hex, cluster[2].nodeID.hex].contains(view.executor))

            try await Self.waitForEvidence(cluster[0], count: 1)
            let evidence = try #require(try await cluster[0].withClient { try await $0.evidence(EvidenceParams()) }.first)
            #expect(evidence.kind == "replica_vote" && evidence.skill == "sha256" && evidence.taskId == view.taskId)
            // Both results verify under their authors' keys, and their outputs differ.
            let authors = try Self.authors(of: evidence)
            #expect(authors.theirs == cluster[3].nodeID)
            #expect(authors.other.hex == evidence.otherNodeId && authors.other != cluster[3].nodeID)
            #expect(evidence.otherDigest == SHA256.hex(Array(Self.helloDigest.utf8)), "the digest of the majority's output")
            #expect(evidence.theirDigest == SHA256.hex(Array("forged".utf8)))
            #expect(evidence.theirDigest != evidence.otherDigest)

            let peers = try await cluster[0].withClient { try await $0.peers() }
            let wrong = Dictionary(uniqueKeysWithValues: peers.map { ($0.nodeId, $0.wrongResults) })
            #expect(wrong[cluster[3].nodeID.hex] == 1)
            #expect(wrong[cluster[1].nodeID.hex] == 0)
        }
    }

    @Test func replicasWithoutAMajorityFailWithNoQuorum() async throws {
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"]), TestNodeSpec(skills: ["sha256"]),
            TestNodeSpec(skills: ["echo"], customSkills: [Self.sha256: ForgedOutput(output: "forged-a")]),
            TestNodeSpec(skills: ["echo"], customSkills: [Self.sha256: ForgedOutput(output: "forged-b")]),
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            try await Self.waitForProviders(cluster[0], "sha256", count: 3)
            let error = await #expect(throws: RPCError.self) {
                try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "sha256", input: "hello", wait: true, replicas: 3)) }
            }
            #expect(error?.data?.reason == "no_quorum")
            #expect(error?.message.contains("the 2 agreeing runs it needs") == true, "\(error?.message ?? "")")
        }
    }

    @Test func moreReplicasThanNodesIsRefusedSayingHowManyCan() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"]), TestNodeSpec(skills: ["sha256"])]) { cluster in
            try await cluster.waitUntilMeshed()
            try await Self.waitForProviders(cluster[0], "sha256", count: 1)
            let error = await #expect(throws: RPCError.self) {
                try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "sha256", input: "x", wait: true, replicas: 3)) }
            }
            #expect(error?.data?.reason == "no_provider")
            #expect(error?.message.contains("only 1 can") == true)
            let invalid = await #expect(throws: RPCError.self) {
                try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "sha256", input: "x", replicas: 9)) }
            }
            #expect(invalid?.code == RPCError.invalidParams)
        }
    }

    @Test func anIdleNodeSpotChecksARemoteResultAndConvictsTheLiar() async throws {
        let gate = Gate()
        let hold = try SkillID("hold")
        try await withTestCluster([
            TestNodeSpec(skills: ["sha256"], customSkills: [hold: gate]) { settings in
                settings.maxConcurrentTasks = 1
                settings.maxQueuedTasks = 0
                settings.spotCheckFraction = 1
            },
            TestNodeSpec(skills: ["echo"], customSkills: [Self.sha256: ForgedOutput(output: "forged")]),
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            try await Self.waitForProviders(cluster[0], "sha256", count: 2)
            // Keep the requester's only slot busy, so the task goes to the peer.
            _ = try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "hold", input: "x")) }
            try await poll("the requester at capacity") {
                try await cluster[0].withClient { try await $0.route(RouteParams(skill: "sha256")) }
                    .contains { $0.local && $0.excluded == "atCapacity" }
            }
            let view = try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "sha256", input: "hello", wait: true)) }
            #expect(view.output == "forged", "a lie gets through before it is checked")
            #expect(view.executor == cluster[1].nodeID.hex)
            #expect(try await cluster[0].withClient { try await $0.evidence(EvidenceParams()) }.isEmpty, "no check while the slot is busy")

            gate.open()  // the slot frees: the waiting check runs
            try await Self.waitForEvidence(cluster[0], count: 1)
            let evidence = try #require(try await cluster[0].withClient { try await $0.evidence(EvidenceParams()) }.first)
            #expect(evidence.kind == "spot_check" && evidence.nodeId == cluster[1].nodeID.hex)
            #expect(evidence.otherNodeId == cluster[0].nodeID.hex)
            #expect(evidence.otherDigest == SHA256.hex(Array(Self.helloDigest.utf8)), "the digest of this node's own output")
            #expect(evidence.theirDigest == SHA256.hex(Array("forged".utf8)))
            let authors = try Self.authors(of: evidence)
            #expect(authors.theirs == cluster[1].nodeID && authors.other == cluster[0].nodeID)
            let peers = try await cluster[0].withClient { try await $0.peers() }
            let wrong = Dictionary(uniqueKeysWithValues: peers.map { ($0.nodeId, $0.wrongResults) })
            #expect(wrong[cluster[1].nodeID.hex] == 1)
        }
    }
}

@Suite struct TrustClusteredTests {
    static func fastTrust(_ settings: inout NodeSettings) {
        settings.trustIntervalMs = 50
    }

    static func trust(of peer: NodeID, seenBy node: TestNode) async throws -> Double? {
        try await node.withClient { try await $0.peers() }.first { $0.nodeId == peer.hex }?.trust
    }

    @Test func workDoneWellEarnsTrustAndAPinnedPeersReportPassesItOn() async throws {
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"], configure: Self.fastTrust), TestNodeSpec(skills: ["sha256"], configure: Self.fastTrust),
            TestNodeSpec(skills: ["echo"], configure: Self.fastTrust),
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            let worker = cluster[1].nodeID
            #expect(try await Self.trust(of: worker, seenBy: cluster[0]) == 0, "no experience, nothing pinned: no trust yet")

            for n in 0..<5 {
                _ = try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "sha256", input: "\(n)", wait: true)) }
            }
            try await poll("the requester to trust the worker") {
                try await Self.trust(of: worker, seenBy: cluster[0]) == 1
            }
            // A task that asks for trust now finds the worker.
            let strict = try await cluster[0].withClient { try await $0.route(RouteParams(skill: "sha256", minTrust: 0.5)) }
            #expect(strict.first { $0.rank == 1 }?.nodeId == worker.hex)

            // Node 2 has never dealt with the worker. Once it pins the requester's key, the
            // requester's signed TrustReport carries that trust to it.
            #expect(try await Self.trust(of: worker, seenBy: cluster[2]) == 0)
            let requester = cluster[0]
            _ = try await cluster[2].withClient {
                try await $0.addPeer(PeerAddParams(address: requester.address.description, nodeId: requester.nodeID.hex))
            }
            try await poll("node 2 to trust the worker through the requester's report") {
                (try await Self.trust(of: worker, seenBy: cluster[2]) ?? 0) > 0
            }
        }
    }
}
