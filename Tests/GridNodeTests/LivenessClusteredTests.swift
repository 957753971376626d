import Foundation
import GridClient
import GridCore
import GridLocalAPI
import GridNode
import GridCrypto
import GridStore
import GridTestKit
import GridWire
import Testing

/// Liveness between real nodes on loopback, with short ping settings.
@Suite struct LivenessClusteredTests {
    static func fast(_ settings: inout NodeSettings) {
        settings.pingIntervalMs = 50
        settings.pingTimeoutMs = 50
        settings.suspectAfterMissedPings = 2
        settings.suspicionTimeoutMs = 300
    }

    @Test func connectedNodesPingEachOtherAndMeasureRTT() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"], configure: Self.fast), TestNodeSpec(skills: ["sha256"], configure: Self.fast)]) {
            cluster in
            try await cluster.waitUntilMeshed()
            try await poll("an RTT sample") { try await cluster[0].withClient { try await $0.peers() }.first?.rttMs != nil }
            let peer = try #require(try await cluster[0].withClient { try await $0.peers() }.first)
            #expect(peer.state == "alive")
            #expect(peer.lastSeen >= peer.connectedAtMs)
        }
    }

    @Test func aSilentPeerBecomesSuspectThenDeadAndIsDroppedNoSooner() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"], configure: Self.fast)]) { cluster in
            try await RawPeer.withConnection(to: cluster[0].address) { peer in
                // The raw peer never answers a ping.
                let connected = ContinuousClock.now
                try await poll("the silent peer to be suspect") {
                    try await cluster[0].withClient { try await $0.peers() }.first?.state == "suspect"
                }
                try await poll("the silent peer to be dropped") { try await cluster[0].withClient { try await $0.peers() }.isEmpty }
                // 2 missed pings (≥ 100 ms) plus 300 ms of suspicion: never before 400 ms.
                #expect(connected.duration(to: .now) >= .milliseconds(400))
                while let frame = try? await peer.next() { _ = frame }  // the node closed the connection
            }
            #expect(cluster.logs.text.contains("peer is dead"))
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
