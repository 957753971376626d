import Foundation
import GridClient
import GridCore
import GridLocalAPI
import GridNode
import GridTestKit
import GridWire
import Testing

/// A node announces which of its skills are deterministic, and keeps what its peers announce.
@Suite struct DeterminismClusteredTests {
    @Test func theAnnouncementListsTheDeterministicSkillsAndPeersKeepThem() async throws {
        try await withTestCluster([
            TestNodeSpec(skills: ["echo", "sha256"]) { settings in
                settings.skillCommands = [
                    "upper": SkillCommand(command: ["tr", "a-z", "A-Z"], deterministic: true),
                    "lower": SkillCommand(command: ["tr", "A-Z", "a-z"]),
                ]
            },
            TestNodeSpec(skills: ["echo"]),
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            try await cluster[0].withClient { app in
                try await app.serve("text.rev", deterministic: true) { task in Array(task.input.reversed()) }
                try await app.serve("text.roll") { _ in [UInt8.random(in: 0...255)] }
                try await poll("node 1 to see node 0's deterministic skills") {
                    let peer = try await cluster[1].withClient { try await $0.peers() }.first { $0.nodeId == cluster[0].nodeID.hex }
                    return peer?.deterministicSkills == ["echo", "sha256", "text.rev", "upper"]
                        && peer?.skills == ["echo", "lower", "sha256", "text.rev", "text.roll", "upper"]
                }
            }

            try await RawPeer.withConnection(to: cluster[1].address) { raw in
                let announced = try #require(try await raw.nextClaim(Grid_V1_SkillAnnouncement.self))
                #expect(announced.skills == ["echo"] && announced.deterministicSkills == ["echo"])
                try await raw.send(try raw.sealed(Grid_V1_SkillAnnouncement.with {
                    $0.skills = ["echo", "roll"]
                    $0.deterministicSkills = ["echo", "missing", "Not A Name"]
                    $0.capacity = 1
                }))
                try await poll("node 1 to keep only the announced, valid names") {
                    let peer = try await cluster[1].withClient { try await $0.peers() }.first { $0.nodeId == raw.identity.nodeID.hex }
                    return peer?.skills == ["echo", "roll"] && peer?.deterministicSkills == ["echo"]
                }
            }
        }
    }
}
