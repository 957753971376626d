import Foundation
import GridClient
import GridCore
import GridLocalAPI
import GridNode
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
