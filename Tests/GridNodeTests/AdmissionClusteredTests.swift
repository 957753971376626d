import Foundation
import GridClient
import GridCore
import GridLocalAPI
import GridTestKit
import Testing

@Suite struct AdmissionClusteredTests {
    @Test func aNodeThatDemandsTrustRefusesAStrangerSayingWhy() async throws {
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"]) { $0.maxRetries = 0 },
            TestNodeSpec(skills: ["sha256"]) { $0.admissionMinTrust = 0.5 },
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            let error = await #expect(throws: RPCError.self) {
                try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "sha256", input: "x", wait: true)) }
            }
            #expect(error?.data?.reason == "all_candidates_failed")
            #expect(error?.message.contains("refused: untrusted") == true)
            #expect(error?.message.contains("at least 50%") == true)
        }
    }
}
