import Foundation
import GridClient
import GridCore
import GridLocalAPI
import GridNode
import GridCrypto
import GridStore
import GridTestKit
import GridWire
import GridClient
import Testing

/// Liveness between real nodes on loopback, with short ping settings.
@Suite struct LivenessClusteredTests {
    static func fast(_ settings: inout NodeSettings) {
        settings.pingIntervalMs = 50
        settings.pingTimeoutMs = 50
        settings.suspectAfterMissedPings = 2
        settings.suspicionTimeoutMs = 300
    }

    /// Frequent pings, but a tolerant timeout: under a loaded machine (CI) a pong can take longer
    /// than `fast`'s 50 ms, which made this test see a transient suspicion.
    static func pingingOften(_ settings: inout NodeSettings) {
        settings.pingIntervalMs = 50
        settings.pingTimeoutMs = 2_000
        settings.suspectAfterMissedPings = 5
    }

    @Test func connectedNodesPingEachOtherAndMeasureRTT() async throws {
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"], configure: Self.pingingOften), TestNodeSpec(skills: ["sha256"], configure: Self.pingingOften),
        ]) {
            cluster in
            try await cluster.waitUntilMeshed()
            try await poll("an RTT sample") { try await cluster[0].withClient { try await $0.peers() }.connected.first?.rttMs != nil }
            let peer = try #require(try await cluster[0].withClient { try await $0.peers() }.connected.first)
            #expect(peer.state == "alive")
            #expect(peer.lastSeen >= peer.connectedAtMs)
        }
    }

    @Test func aSilentPeerBecomesSuspectThenDeadAndIsDroppedNoSooner() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"], configure: Self.fast)]) { cluster in
            try await RawPeer.withConnection(to: cluster[0].address) { peer in
                // The raw peer never answers a ping.
                let connected = ContinuousClock.now
                try await poll("the silent peer to be dropped") { try await cluster[0].withClient { try await $0.peers() }.connected.isEmpty }
                // 2 missed pings (≥ 100 ms) plus 300 ms of suspicion: never before 400 ms.
                #expect(connected.duration(to: .now) >= .milliseconds(400))
                while let frame = try? await peer.next() { _ = frame }  // the node closed the connection
            }
            // The suspect state lasts only 300 ms here, too short to catch by polling on a loaded machine:
            // the log says the peer was suspect first, then dead.
            let log = cluster.logs.text
            let suspect = try #require(log.range(of: "peer is suspect: 2 pings unanswered"))
            let dead = try #require(log.range(of: "peer is dead"))
            #expect(suspect.lowerBound < dead.lowerBound)
        }
    }
}

/// The address book on real nodes.
@Suite struct AddressBookClusteredTests {
    @Test func aRestartedNodeReconnectsFromItsAddressBookAlone() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"]), TestNodeSpec(skills: ["sha256"])]) { cluster in
            try await cluster.waitUntilMeshed()
            try await cluster.restart(1, bootstrapFrom: [])  // no bootstrap file this time
            try await cluster.waitUntilMeshed()
            #expect(cluster.logs.text.contains("address book: dialling 1 known peers"))
        }
    }

    @Test func aBannedPeerIsRefusedAfterItsHandshake() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            let database = try GridDatabase(path: cluster[0].dataDirectory.databasePath)
            let mallory = SigningIdentity()
            try database.banPeer(mallory.nodeID, reason: "sent forged results", atMs: 1)
            let error = await #expect(throws: (any Error).self) {
                try await RawPeer.withConnection(to: cluster[0].address, identity: mallory) { peer in
                    // Right after the handshake the node says why it refuses, and closes.
                    guard let frame = try await peer.next() else { throw TestKitError("closed") }
                    if frame.error.code == .banned { throw TestKitError("banned: \(frame.error.message)") }
                }
            }
            #expect("\(error.map { "\($0)" } ?? "")".contains("banned"))
        }
    }
}

/// Peers joining, leaving and refusing each other, on real nodes.
@Suite struct PeerLifecycleClusteredTests {
    @Test func aStoppedNodeIsDroppedFromTheRegistryAndShownAsDead() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"], configure: LivenessClusteredTests.fast),
                                   TestNodeSpec(skills: ["sha256"], configure: LivenessClusteredTests.fast)]) { cluster in
            try await cluster.waitUntilMeshed()
            let stopped = ContinuousClock.now
            await cluster.stop(1)  // abruptly: no goodbye
            try await poll("node 0 to drop node 1") { try await cluster[0].withClient { try await $0.peers() }.connected.isEmpty }
            // The documented bound: at most ping interval × missed pings + suspicion timeout (400 ms here);
            // a closed socket is noticed sooner.
            #expect(stopped.duration(to: .now) < .seconds(5))
            let peers = try await cluster[0].withClient { try await $0.peers() }
            #expect(peers.map(\.state) == ["dead"])
            // Its skills left the registry: sha256 has no provider now.
            let error = await #expect(throws: RPCError.self) {
                try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "sha256", input: "x", wait: true)) }
            }
            #expect(error?.data?.reason == "no_provider")
        }
    }

    @Test func aNodePresentingAnotherKeyThanThePinnedOneIsRefused() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"], bootstrapFrom: []), TestNodeSpec(skills: ["sha256"], bootstrapFrom: [])]) {
            cluster in
            let wrongKey = SigningIdentity().nodeID
            _ = try await cluster[0].withClient {
                try await $0.addPeer(PeerAddParams(address: cluster[1].address.description, nodeId: wrongKey.hex))
            }
            try await poll("the refusal to be logged") { cluster.logs.text.contains("not the pinned key \(wrongKey.hex)") }
            #expect(try await cluster[0].withClient { try await $0.peers() }.connected.isEmpty)
        }
    }

    @Test func nodesOfDifferentNetworksRefuseEachOther() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"]), TestNodeSpec(skills: ["sha256"], configure: { $0.networkID = "lab" })]) {
            cluster in
            try await poll("the refusal to be logged") { cluster.logs.text.contains("nodes of different networks never connect") }
            #expect(try await cluster[0].withClient { try await $0.peers() }.connected.isEmpty)
            #expect(try await cluster[1].withClient { try await $0.peers() }.connected.isEmpty)
        }
    }
}
