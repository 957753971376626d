import Foundation
import GridClient
import GridCore
import GridCrypto
import GridLocalAPI
import GridTestKit
import GridWire
import Testing

/// Whole nodes on real loopback TCP and real Unix sockets.
@Suite struct DelegationClusteredTests {
    @Test func nodeDelegatesSha256ToThePeerThatHasIt() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"]), TestNodeSpec(skills: ["sha256"])]) { cluster in
            try await cluster.waitUntilMeshed()
            let view = try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "sha256", input: "hello", wait: true)) }
            #expect(view.output == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
            #expect(view.status == .succeeded)
            #expect(view.executor == cluster[1].nodeID.hex)
            // The submitting node's store has the task and its outcome.
            let stored = try await cluster[0].withClient { try await $0.task(view.taskId) }
            #expect(stored == view)
        }
    }

    @Test func aSkillThisNodeHasRunsLocally() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo", "sha256"]), TestNodeSpec(skills: ["echo"])]) { cluster in
            try await cluster.waitUntilMeshed()
            let view = try await cluster[1].withClient { try await $0.submit(SubmitParams(skill: "echo", input: "hi", wait: true)) }
            #expect(view.output == "hi")
            #expect(view.executor == cluster[1].nodeID.hex)
        }
    }

    @Test func aSkillNobodyHasFailsNamingTheSkill() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"]), TestNodeSpec(skills: ["sha256"])]) { cluster in
            try await cluster.waitUntilMeshed()
            let error = await #expect(throws: RPCError.self) {
                try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "image.resize", input: "x", wait: true)) }
            }
            #expect(error?.code == RPCError.taskFailed)
            #expect(error?.data?.reason == "no_provider")
            #expect(error?.message.contains("'image.resize'") == true)
        }
    }

    @Test func aRemoteSkillFailureComesBackWithItsMessage() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"]), TestNodeSpec(skills: ["fail"])]) { cluster in
            try await cluster.waitUntilMeshed()
            let error = await #expect(throws: RPCError.self) {
                try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "fail", input: "out of paper", wait: true)) }
            }
            #expect(error?.data?.reason == "skill_failed")
            #expect(error?.message == "out of paper")
        }
    }

    @Test func aTaskPastItsTimeoutFails() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"]), TestNodeSpec(skills: ["sleep"])]) { cluster in
            try await cluster.waitUntilMeshed()
            let error = await #expect(throws: RPCError.self) {
                try await cluster[0].withClient {
                    try await $0.submit(SubmitParams(skill: "sleep", input: "60000", wait: true, timeoutMs: 200))
                }
            }
            #expect(error?.data?.reason == "timed_out")
        }
    }

    @Test func aPeerPresentingAKeyItCannotSignForIsRefused() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            let victim = SigningIdentity().nodeID
            let error = await #expect(throws: GridError.self) {
                try await RawPeer.withConnection(to: cluster[0].address, presenting: victim) { _ in }
            }
            #expect(error?.message.contains("did not prove it holds its key") == true, "\(error?.message ?? "")")
            let info = try await cluster[0].withClient { try await $0.info() }
            #expect(info.peerCount == 0)
        }
    }

    @Test func claimsWithBadSignaturesOrForeignAuthorsAreDroppedAndCounted() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            func request(_ byte: UInt8) -> Grid_V1_TaskRequest {
                var request = Grid_V1_TaskRequest()
                request.taskID = Data(repeating: byte, count: 16)
                request.skill = "echo"
                request.input = Data("payload \(byte)".utf8)
                request.deadlineMs = 5_000
                return request
            }
            try await RawPeer.withConnection(to: cluster[0].address) { peer in
                var forged = try peer.sealed(request(1))
                forged.envelope.signature[0] ^= 0xff
                try await peer.send(forged)
                var unsigned = try peer.sealed(request(2))
                unsigned.envelope.signature = Data()
                try await peer.send(unsigned)
                try await peer.send(peer.sealed(request(3), by: SigningIdentity()))  // valid, but not the peer's own claim
                try await peer.send(peer.sealed(request(4)))

                // Frames are handled in order: the first ack is for the only genuine request.
                let ack = try #require(try await peer.nextClaim(Grid_V1_TaskAck.self))
                #expect(ack.taskID == Data(repeating: 4, count: 16))
                #expect(ack.accepted)
                let result = try #require(try await peer.nextClaim(Grid_V1_TaskResult.self))
                #expect(result.taskID == Data(repeating: 4, count: 16))
                #expect(result.output == Data("payload 4".utf8))
            }
            let info = try await cluster[0].withClient { try await $0.info() }
            #expect(info.droppedMessages == 3)
            #expect(cluster.logs.text.contains("bad_signature"))
            #expect(cluster.logs.text.contains("wrong_author"))
        }
    }

    @Test func aRepeatedRequestIsAckedAgainButRunOnce() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["sleep"])]) { cluster in
            try await RawPeer.withConnection(to: cluster[0].address) { peer in
                var request = Grid_V1_TaskRequest()
                request.taskID = Data(repeating: 5, count: 16)
                request.skill = "sleep"
                request.input = Data("50".utf8)
                request.deadlineMs = 5_000
                try await peer.send(peer.sealed(request))
                try await peer.send(peer.sealed(request))
                var acks = 0
                var results = 0
                while let frame = try await peer.next() {
                    guard case .envelope(let envelope) = frame.body else { continue }
                    let claim = try envelope.verify()
                    if claim.payloadType == Grid_V1_TaskAck.protoMessageName { acks += 1 }
                    if claim.payloadType == Grid_V1_TaskResult.protoMessageName {
                        results += 1
                        #expect(try claim.decode(Grid_V1_TaskResult.self).output == Data("50".utf8))
                        break
                    }
                }
                #expect(acks == 2)
                #expect(results == 1)
            }
        }
    }

    @Test func aLocalTaskPastItsDeadlineFreesItsSlot() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["sleep", "echo"], configure: { $0.maxConcurrentTasks = 1 })]) { cluster in
            try await cluster[0].withClient { api in
                let error = await #expect(throws: RPCError.self) {
                    try await api.submit(SubmitParams(skill: "sleep", input: "600000", wait: true, timeoutMs: 100))
                }
                #expect(error?.data?.reason == "timed_out")
                // The only slot is free again: the abandoned sleep was cancelled, not left to run 10 minutes.
                let next = try await api.submit(SubmitParams(skill: "echo", input: "next", wait: true, timeoutMs: 5_000))
                #expect(next.output == "next")
            }
        }
    }

    @Test func requestsTheNodeCannotServeAreRefusedWithAReason() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"], configure: { $0.maxTaskBytes = 16 })]) { cluster in
            try await RawPeer.withConnection(to: cluster[0].address) { peer in
                let cases: [(Grid_V1_TaskRequest, Grid_V1_RejectReason)] = [
                    (.with { $0.taskID = Data(repeating: 1, count: 16); $0.skill = "sha256"; $0.deadlineMs = 1000 }, .unknownSkill),
                    (.with { $0.taskID = Data(repeating: 2, count: 16); $0.skill = "echo"; $0.deadlineMs = 0 }, .expired),
                    (.with { $0.taskID = Data(repeating: 3, count: 16); $0.skill = "echo"; $0.deadlineMs = 1000; $0.input = Data(count: 17) }, .tooLarge),
                    (.with { $0.taskID = Data(repeating: 4, count: 3); $0.skill = "echo"; $0.deadlineMs = 1000 }, .invalid),
                ]
                for (request, reason) in cases {
                    try await peer.send(peer.sealed(request))
                    let ack = try #require(try await peer.nextClaim(Grid_V1_TaskAck.self))
                    #expect(!ack.accepted)
                    #expect(ack.reason == reason)
                    #expect(!ack.message.isEmpty)
                }
            }
        }
    }
}
