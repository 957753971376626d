import GridClient
import GridCore
import GridNode
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
