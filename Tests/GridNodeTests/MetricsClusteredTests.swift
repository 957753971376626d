import Foundation
import GridClient
import GridCore
import GridLocalAPI
import GridNode
import GridTestKit
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite struct MetricsClusteredTests {
    static func get(_ url: String) async throws -> (status: Int, contentType: String?, body: String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        let http = response as! HTTPURLResponse
        return (http.statusCode, http.value(forHTTPHeaderField: "Content-Type"), String(decoding: data, as: UTF8.self))
    }

    static func snapshotFile(_ node: TestNode) -> MetricsSnapshot? {
        guard let data = FileManager.default.contents(atPath: node.dataDirectory.metricsPath) else { return nil }
        return try? JSONDecoder().decode(MetricsSnapshot.self, from: data)
    }

    static func waitForSnapshotFile(_ node: TestNode, submitted: UInt64) async throws {
        try await poll("metrics.json with \(submitted) tasks") { snapshotFile(node)?.tasks.submitted == submitted }
    }

    @Test func aNodeCountsItsTasksAndServesThemThreeWays() async throws {
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"]) { settings in
                settings.metricsListen = HostPort(host: "127.0.0.1", port: 0)
                settings.metricsSnapshotIntervalMs = 1_000
            },
            TestNodeSpec(skills: ["sha256", "fail"]),
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            let node = cluster[0]
            try await node.withClient { client in
                for n in 0..<3 { _ = try await client.submit(SubmitParams(skill: "sha256", input: "\(n)", wait: true)) }
                _ = try await client.submit(SubmitParams(skill: "echo", input: "here", wait: true))
                _ = try? await client.submit(SubmitParams(skill: "fail", input: "no", wait: true))
            }
            // 1. The local API (gridnode metrics).
            let metrics = try await node.withClient { try await $0.metrics() }
            #expect(metrics.tasks.submitted == 5 && metrics.tasks.completed == 4 && metrics.tasks.failed == 1)
            #expect(metrics.tasks.executedLocally == 1 && metrics.tasks.delegated == 4)
            #expect(metrics.successRate == 0.8)
            #expect(metrics.latency.endToEnd?.count == 5)
            #expect(metrics.failedByReason.first { $0.reason == "skill_failed" }?.count == 1)
            #expect(metrics.peers.first { $0.peer == cluster[1].nodeID.hex }?.tasks.completed == 3)
            #expect(metrics.skills.first { $0.skill == "sha256" }?.tasks.completed == 3)

            // 2. Prometheus text on the configured loopback port.
            let address = try #require(node.node.metricsAddress)
            let scrape = try await Self.get("http://\(address)/metrics")
            #expect(scrape.status == 200)
            #expect(scrape.contentType?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(scrape.body.contains("grid_tasks_submitted_total 5\n"))
            #expect(scrape.body.contains("grid_tasks_completed_total 4\n"))
            #expect(scrape.body.contains("# TYPE grid_task_latency_seconds summary"))
            #expect(try await Self.get("http://\(address)/other").status == 404)

            // 3. The periodic snapshot file.
            try await Self.waitForSnapshotFile(node, submitted: 5)
        }
    }

    @Test func metricsMustBeServedOnLoopback() {
        var settings = NodeSettings()
        settings.metricsListen = HostPort(host: "0.0.0.0", port: 9464)
        #expect(throws: GridError.self) { try settings.validate() }
    }
}
