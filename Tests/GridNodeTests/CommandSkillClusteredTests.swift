import Foundation
import GridClient
import GridCore
import GridLocalAPI
import GridNode
import GridTestKit
import Testing

/// A command skill served by one node of a real cluster and used from another.
@Suite struct CommandSkillClusteredTests {
    @Test func aPeersCommandSkillRunsThereAndItsOutputComesBack() async throws {
        try await withTestCluster([
            TestNodeSpec(skills: ["echo"]),
            TestNodeSpec(skills: ["echo"]) {
                $0.skillCommands = [
                    "upper": SkillCommand(command: ["tr", "a-z", "A-Z"]),
                    "broken": SkillCommand(command: ["sh", "-c", "echo \"$REASON\" >&2; exit 2"], env: ["REASON": "out of paper"]),
                ]
            },
        ]) { cluster in
            try await cluster.waitUntilMeshed()
            let view = try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "upper", input: "hello", wait: true)) }
            #expect(view.status == .succeeded)
            #expect(view.output == "HELLO")
            #expect(view.executor == cluster[1].nodeID.hex)

            let error = await #expect(throws: RPCError.self) {
                try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "broken", input: "x", wait: true)) }
            }
            #expect(error?.data?.reason == "skill_failed")
            #expect(error?.message == "exit status 2: out of paper")
            let work = cluster[1].dataDirectory.workPath
            #expect(try FileManager.default.contentsOfDirectory(atPath: work).isEmpty, "each task's work directory is removed")
        }
    }
}
