import Foundation
import GridClient
import GridCore
import GridCrypto
import GridLocalAPI
import GridTestKit
import GridWire
import NIOConcurrencyHelpers
import Testing

/// What a requester does with the TaskProgress reports a (raw) executor sends it.
@Suite struct ProgressClusteredTests {
    @Test func progressFromTheExecutorIsTakenOutOfBoundsIsDroppedAndUnknownTasksIgnored() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            try await RawPeer.withConnection(to: cluster[0].address) { executor in
                try await executor.send(executor.sealed(Grid_V1_SkillAnnouncement.with { $0.skills = ["sleep"]; $0.capacity = 1 }))
                try await poll("the node to learn the raw peer's skill") {
                    try await cluster[0].withClient { try await $0.peers() }.connected.first?.skills == ["sleep"]
                }
                let events = NIOLockedValueBox<[TaskEventView]>([])
                let submission = Task {
                    try await cluster[0].withClient {
                        try await $0.submit(SubmitParams(skill: "sleep", input: "1", wait: true, timeoutMs: 10_000)) { _ in } onEvent: { event in
                            events.withLockedValue { $0.append(event) }
                        }
                    }
                }
                let request = try #require(try await executor.nextClaim(Grid_V1_TaskRequest.self))
                let digest = SHA256.digest(try request.serializedBytes() as [UInt8])
                let taskID = try TaskID(bytes: Array(request.taskID))
                try await executor.send(executor.sealed(Grid_V1_TaskAck.with { $0.taskID = request.taskID; $0.accepted = true }))

                func progress(_ task: TaskID, _ stage: TaskProgress.Stage, _ fraction: Double?, _ sequence: UInt32) throws -> Grid_V1_TaskProgress {
                    try TaskProgressMessage(
                        taskID: task, requestDigest: digest, stage: stage, fraction: fraction, message: "step \(sequence)",
                        sequence: sequence
                    ).wire
                }
                try await executor.send(executor.sealed(progress(taskID, .started, nil, 1)))
                try await executor.send(executor.sealed(progress(taskID, .progress, 0.5, 2)))
                var tooFar = try progress(taskID, .progress, 1, 3)
                tooFar.fractionPpm = 1_000_001
                try await executor.send(executor.sealed(tooFar))
                var tooLong = try progress(taskID, .progress, 1, 4)
                tooLong.message = String(repeating: "x", count: 201)
                try await executor.send(executor.sealed(tooLong))
                // A task this node never sent the peer: ignored, not counted.
                try await executor.send(executor.sealed(progress(TaskID(unchecked: [UInt8](repeating: 7, count: 16)), .started, nil, 1)))

                try await executor.send(executor.sealed(Grid_V1_TaskResult.with {
                    $0.taskID = request.taskID
                    $0.output = Data("done".utf8)
                    $0.requestDigest = Data(digest)
                }))
                let view = try await submission.value
                #expect(view.output == "done")
                // The two good reports became events of the task; the bad ones and the stranger's did not.
                let seen = events.withLockedValue { $0 }.filter { $0.kind == .started || $0.kind == .progress }
                #expect(seen.map(\.kind) == [.started, .progress], "\(seen)")
                #expect(seen.last?.fraction == 0.5 && seen.last?.message == "step 2" && seen.last?.nodeId == executor.identity.nodeID.hex)
            }
            #expect(try await cluster[0].withClient { try await $0.info() }.droppedMessages == 2)
            let logs = cluster.logs.text
            #expect(logs.contains("1000001 ppm"))
            #expect(logs.contains("201 bytes"))
        }
    }
}
