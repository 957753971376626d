import GridCore
import Testing

@testable import gridnode

@Suite struct ClusterPlanTests {
    @Test func namesPortsAndDefaultSkills() throws {
        let plan = try ClusterPlan(count: 3, basePort: 7501, skillSpecs: [])
        #expect(plan.nodes == [
            .init(name: "node1", port: 7501, skills: ["echo", "sha256", "sleep"]),
            .init(name: "node2", port: 7502, skills: ["echo", "sha256", "sleep"]),
            .init(name: "node3", port: 7503, skills: ["echo", "sha256", "sleep"]),
        ])
    }

    @Test func skillsPerNodeAndForAll() throws {
        let plan = try ClusterPlan(count: 3, basePort: 9000, skillSpecs: ["node1=echo, sha256", "all=sleep", "node3="])
        #expect(plan.nodes.map(\.skills) == [["echo", "sha256"], ["sleep"], []])
    }

    @Test(arguments: [
        (0, 7501, [String](), "--nodes is 0; use 1-64"),
        (65, 7501, [], "--nodes is 65; use 1-64"),
        (3, 65_534, [], "--base-port is 65534; use 1-65533 so that all 3 ports fit"),
        (3, 7501, ["node4=echo"], "--skills names 'node4', but the nodes are node1 to node3"),
        (3, 7501, ["echo"], "--skills 'echo' is not NODE=SKILL,SKILL; for example node2=sleep,sha256 or all=echo"),
        (3, 7501, ["node1=echo", "node1=sleep"], "--skills names node1 twice; give each node once"),
    ])
    func refusesBadFlags(_ count: Int, _ basePort: Int, _ specs: [String], _ message: String) {
        #expect(throws: GridError(.clusterPlan, message)) { try ClusterPlan(count: count, basePort: basePort, skillSpecs: specs) }
    }

    @Test func refusesABadSkillName() {
        #expect(throws: GridError.self) { try ClusterPlan(count: 1, basePort: 7501, skillSpecs: ["node1=Bad Name!"]) }
    }
}
