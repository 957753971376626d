import GridClient
import GridCore
import GridNode
import GridLocalAPI
import GridStore
import GridTestKit
import Testing

/// Peer exchange between real nodes on loopback.
@Suite struct DiscoveryClusteredTests {
    @Test func aSixNodeGridFormsFromASingleBootstrapEntry() async throws {
        let fastExchange: @Sendable (inout NodeSettings) -> Void = { $0.peerExchangeIntervalMs = 100 }
        let specs = [TestNodeSpec(skills: ["echo"], bootstrapFrom: [], configure: fastExchange)]
            + (1...5).map { _ in TestNodeSpec(skills: ["sha256"], bootstrapFrom: [0], configure: fastExchange) }
        try await withTestCluster(specs) { cluster in
            try await cluster.waitUntilMeshed(timeout: .seconds(20))
            // Nodes 1-5 knew only node 0: every link between two of them came from peer exchange.
            #expect(cluster.logs.text.contains("learned from peer exchange"))
        }
    }
}

/// `peers.add` and `peers.ban` over the local API, on real nodes.
@Suite struct OperatorPeerCommandsClusteredTests {
    @Test func anAddedPeerIsDialledAndPinned() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"], bootstrapFrom: []), TestNodeSpec(skills: ["sha256"], bootstrapFrom: [])]) {
            cluster in
            let result = try await cluster[0].withClient {
                try await $0.addPeer(PeerAddParams(address: cluster[1].address.description, nodeId: cluster[1].nodeID.hex))
            }
            #expect(result.done.contains("pinned"))
            try await cluster.waitUntilMeshed()
            let database = try GridDatabase(path: cluster[0].dataDirectory.databasePath)
            #expect(try database.knownPeer(cluster[1].nodeID)?.pinned == true)
        }
    }

    @Test func aBannedPeerIsDisconnectedAndStaysOut() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"]), TestNodeSpec(skills: ["sha256"])]) { cluster in
            try await cluster.waitUntilMeshed()
            let result = try await cluster[0].withClient { try await $0.banPeer(PeerBanParams(nodeId: cluster[1].nodeID.hex, reason: "test")) }
            #expect(result.done.contains("disconnected"))
            try await poll("node 1 to be gone") { try await cluster[0].withClient { try await $0.peers() }.connected.isEmpty }
            // Node 1 keeps dialling (its bootstrap entry), and is refused each time.
            try await poll("node 1 to be refused as banned") { cluster.logs.text.contains("refused banned peer") }
            #expect(try await cluster[0].withClient { try await $0.peers() }.connected.isEmpty)
        }
    }

    @Test func badPeerCommandsSayWhatToFix() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            try await cluster[0].withClient { api in
                for (params, mentioned) in [(PeerAddParams(address: "nohost"), "host:port"), (PeerAddParams(address: "h:1", nodeId: "zz"), "hex")] {
                    let error = await #expect(throws: RPCError.self) { try await api.addPeer(params) }
                    #expect(error?.message.contains(mentioned) == true, "\(error?.message ?? "")")
                }
                let selfBan = await #expect(throws: RPCError.self) { try await api.banPeer(PeerBanParams(nodeId: cluster[0].nodeID.hex)) }
                #expect(selfBan?.message.contains("itself") == true)
            }
        }
    }
}

/// Connection limits on a real node.
@Suite struct ConnectionLimitsClusteredTests {
    @Test func aSecondConnectionFromTheSameAddressBeyondTheLimitIsRefused() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"], configure: { $0.maxConnectionsPerIP = 1 })]) { cluster in
            try await RawPeer.withSocket(to: cluster[0].address) { first in
                #expect(try await first.readPlainFrame()?.hello.isEmpty == false)  // the node has begun its handshake
                try await first.sendHello()  // it speaks, so it keeps its place:
                #expect(try await first.readPlainFrame()?.helloProof.signature.isEmpty == false)  // the node took our Hello
                let refusal = try await RawPeer.withSocket(to: cluster[0].address) { second in try await second.readPlainFrame() }
                #expect(refusal?.error.code == .tooManyConnections)
                #expect(refusal?.error.message.contains("maxConnectionsPerIP") == true)
            }
        }
    }

    @Test func aboveTheHighWatermarkTheLeastUsefulConnectionIsClosed() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"], configure: { $0.connectionHighWatermark = 2 })]) { cluster in
            try await RawPeer.withConnection(to: cluster[0].address) { a in
                try await RawPeer.withConnection(to: cluster[0].address) { b in
                    try await poll("two peers") { try await cluster[0].withClient { try await $0.peers() }.connected.count == 2 }
                    try await RawPeer.withConnection(to: cluster[0].address) { c in
                        try await poll("one connection closed to make room") {
                            cluster.logs.text.contains("above connectionHighWatermark")
                        }
                        try await poll("the pruned connection to be gone") {
                            try await cluster[0].withClient { try await $0.peers() }.connected.count == 2
                        }
                    }
                }
            }
        }
    }
}
