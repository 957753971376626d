import Foundation
import GridClient
import GridCore
import GridCrypto
import GridLocalAPI
import GridTestKit
import GridWire
import Testing

/// What a running node does with hostile or broken input on its TCP port.
@Suite struct WireClusteredTests {
    func echoRequest(_ byte: UInt8) -> Grid_V1_TaskRequest {
        .with {
            $0.taskID = Data(repeating: byte, count: 16)
            $0.skill = "echo"
            $0.input = Data("payload \(byte)".utf8)
            $0.deadlineMs = 5_000
        }
    }

    func ping(_ nonce: UInt64) -> Grid_V1_Frame { .with { $0.ping = .with { $0.nonce = nonce } } }

    @Test func aNodeOfAnotherNetworkIsRefusedAndToldWhy() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            let error = await #expect(throws: GridError.self) {
                try await RawPeer.withConnection(to: cluster[0].address, networkID: "lab") { _ in }
            }
            #expect(error?.message.contains("'main'") == true && error?.message.contains("'lab'") == true, "\(error?.message ?? "")")
        }
    }

    @Test func garbageAfterTheHandshakeClosesTheConnection() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            try await RawPeer.withConnection(to: cluster[0].address) { peer in
                try await peer.sendRaw([0, 0, 0, 20] + [UInt8](repeating: 0x42, count: 20))
                let error = try #require(try await peer.nextControlFrame())
                #expect(error.error.code == .malformed)
                #expect(try await peer.next() == nil)
            }
            #expect(try await cluster[0].withClient { try await $0.info() }.droppedMessages == 1)
        }
    }

    @Test func anOversizedFrameAfterTheHandshakeIsRefusedBeforeItsBodyArrives() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            try await RawPeer.withConnection(to: cluster[0].address) { peer in
                try await peer.sendRaw([0x7f, 0xff, 0xff, 0xff])  // a 2 GiB frame is announced; no body follows
                let error = try #require(try await peer.nextControlFrame())
                #expect(error.error.code == .frameTooLarge)
                #expect(try await peer.next() == nil)
            }
            let info = try await cluster[0].withClient { try await $0.info() }
            #expect(info.droppedMessages == 1)
        }
    }

    @Test func anOversizedOrEmptyFrameBeforeTheHandshakeClosesTheConnection() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            for prefix in [[0x7f, 0xff, 0xff, 0xff], [0, 0, 0, 0]] as [[UInt8]] {
                try await RawPeer.withSocket(to: cluster[0].address) { socket in
                    try await socket.write(prefix)
                    _ = try await socket.readUntilClosed()  // returns only once the node has closed it
                }
            }
            // The node still serves.
            #expect(try await cluster[0].withClient { try await $0.info() }.peerCount == 0)
        }
    }

    @Test func aClaimOfAnUnknownTypeIsDroppedAndTheConnectionGoesOn() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            try await RawPeer.withConnection(to: cluster[0].address) { peer in
                var frame = try peer.sealed(echoRequest(1))
                frame.envelope.payloadType = "grid.v9.Teleport"
                let signed = try frame.envelope.signedBytes()
                frame.envelope.signature = Data(peer.identity.sign(signed))
                try await peer.send(frame)
                try await peer.send(ping(3))
                #expect(try await peer.nextControlFrame()?.pong.nonce == 3)
            }
            #expect(cluster.logs.text.contains("unknown type grid.v9.Teleport"))
        }
    }

    @Test func aReplayedFrameWithinAConnectionFailsToDecrypt() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            try await RawPeer.withConnection(to: cluster[0].address) { peer in
                let sealed = try peer.seal(ping(1))
                try await peer.sendRaw(sealed)
                #expect(try await peer.nextControlFrame()?.pong.nonce == 1)
                try await peer.sendRaw(sealed)
                #expect(try await peer.nextControlFrame()?.error.code == .malformed)
                #expect(try await peer.next() == nil)
            }
        }
    }

    @Test func aPeerAboveTheMessageRateIsDisconnected() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"], configure: { $0.maxMessagesPerSecond = 5 })]) { cluster in
            try await RawPeer.withConnection(to: cluster[0].address) { peer in
                for n in 0..<50 as Range<UInt64> { try await peer.send(ping(n)) }
                var pongs = 0
                while let frame = try await peer.nextControlFrame() {
                    if case .pong = frame.body { pongs += 1; continue }
                    #expect(frame.error.code == .rateLimited)
                    #expect(frame.error.message.contains("maxMessagesPerSecond"))
                    break
                }
                #expect(pongs <= 5)
            }
        }
    }

    @Test func anUnknownFrameKindIsSkippedAndTheConnectionGoesOn() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            try await RawPeer.withConnection(to: cluster[0].address) { peer in
                // Field 99: a frame kind of some later protocol version.
                try await peer.send(try Grid_V1_Frame(serializedBytes: [0x98, 0x06, 0x01]))
                try await peer.send(ping(7))
                #expect(try await peer.nextControlFrame()?.pong.nonce == 7)
            }
        }
    }

    @Test func aClaimReplayedOnANewConnectionIsDroppedNotActedOn() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            let identity = SigningIdentity()
            let original = try await RawPeer.withConnection(to: cluster[0].address, identity: identity) { peer in
                let frame = try peer.sealed(echoRequest(1))
                try await peer.send(frame)
                #expect(try await peer.nextClaim(Grid_V1_TaskResult.self)?.output == Data("payload 1".utf8))
                return frame
            }
            try await RawPeer.withConnection(to: cluster[0].address, identity: identity) { peer in
                try await peer.send(original)
                try await peer.send(peer.sealed(echoRequest(2)))
                let ack = try #require(try await peer.nextClaim(Grid_V1_TaskAck.self))
                #expect(ack.taskID == Data(repeating: 2, count: 16))
            }
            #expect(try await cluster[0].withClient { try await $0.info() }.droppedMessages == 1)
            #expect(cluster.logs.text.contains("(replayed)"))
        }
    }

    @Test func aStaleOrFutureClaimIsDropped() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            let now = UInt64(Date().timeIntervalSince1970 * 1000)
            try await RawPeer.withConnection(to: cluster[0].address) { peer in
                try await peer.send(peer.sealed(echoRequest(1), timestampMs: now - 10 * 60_000))
                try await peer.send(peer.sealed(echoRequest(2), timestampMs: now + 10 * 60_000))
                try await peer.send(peer.sealed(echoRequest(3)))
                let ack = try #require(try await peer.nextClaim(Grid_V1_TaskAck.self))
                #expect(ack.taskID == Data(repeating: 3, count: 16))
            }
            #expect(try await cluster[0].withClient { try await $0.info() }.droppedMessages == 2)
            #expect(cluster.logs.text.contains("±60 s window"))
        }
    }

    @Test func aHandshakeSentAByteAtATimePastTheDeadlineIsCutOff() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"], configure: { $0.handshakeTimeoutMs = 300 })]) { cluster in
            let started = ContinuousClock.now
            try await RawPeer.withSocket(to: cluster[0].address) { socket in
                for byte in [0, 0, 0, 90] as [UInt8] { try await socket.write([byte]) }  // a length, then nothing more
                _ = try await socket.readUntilClosed()
            }
            #expect(started.duration(to: .now) >= .milliseconds(300))
            try await poll("the node to log the timeout") { cluster.logs.text.contains("did not complete in time") }
        }
    }

    @Test func connectionsBeyondThePendingHandshakeLimitAreRefusedAtOnce() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"], configure: { $0.maxPendingHandshakes = 1 })]) { cluster in
            try await RawPeer.withSocket(to: cluster[0].address) { first in
                // The node's Hello shows it has begun this connection's handshake; ours, that this
                // one speaks (a silent one would make room instead: the test below).
                #expect(try await first.readPlainFrame()?.hello.isEmpty == false)
                try await first.sendHello()  // it speaks, so it keeps its place:
                #expect(try await first.readPlainFrame()?.helloProof.signature.isEmpty == false)  // the node took our Hello
                let refusal = try await RawPeer.withSocket(to: cluster[0].address) { second in
                    try await second.readPlainFrame()
                }
                #expect(refusal?.error.code == .tooManyConnections)
            }
        }
    }

    @Test func aConnectionThatSaysNothingMakesRoomForANewOne() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"], configure: { $0.maxPendingHandshakes = 1 })]) { cluster in
            try await RawPeer.withSocket(to: cluster[0].address) { silent in
                #expect(try await silent.readPlainFrame()?.hello.isEmpty == false)
                // A second connection is let in, and the silent first one closed to make room:
                // idle connections cannot keep an honest peer from its handshake.
                let welcome = try await RawPeer.withSocket(to: cluster[0].address) { second in try await second.readPlainFrame() }
                #expect(welcome?.hello.isEmpty == false)
                #expect(try await silent.readUntilClosed().isEmpty)
            }
            try await poll("the eviction to be counted") {
                try await cluster[0].withClient { try await $0.info() }.refusedConnections ?? 0 >= 1
            }
            // And a real peer still joins.
            let announced = try await RawPeer.withConnection(to: cluster[0].address) { peer in
                try await peer.nextClaim(Grid_V1_SkillAnnouncement.self)
            }
            #expect(announced != nil)
        }
    }

    @Test func aStoppingNodeSaysGoodbyeSoPeersDropItAtOnce() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"]), TestNodeSpec(skills: ["sha256"])]) { cluster in
            try await cluster.waitUntilMeshed()
            await cluster[1].stopGracefully()
            try await poll("node 0 to drop node 1") { try await cluster[0].withClient { try await $0.peers() }.connected.isEmpty }
            #expect(cluster.logs.text.contains("peer said goodbye"))
        }
    }

    @Test func aRequesterWhoseDeadlinePassesSendsTaskCancel() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            try await RawPeer.withConnection(to: cluster[0].address) { executor in
                // The raw peer offers `sleep`, accepts the task, and never answers.
                try await executor.send(executor.sealed(Grid_V1_SkillAnnouncement.with { $0.skills = ["sleep"]; $0.capacity = 1 }))
                try await poll("the node to learn the raw peer's skill") {
                    try await cluster[0].withClient { try await $0.peers() }.connected.first?.skills == ["sleep"]
                }
                let submission = Task {
                    try await cluster[0].withClient { try await $0.submit(SubmitParams(skill: "sleep", input: "1", wait: true, timeoutMs: 300)) }
                }
                let request = try #require(try await executor.nextClaim(Grid_V1_TaskRequest.self))
                try await executor.send(executor.sealed(Grid_V1_TaskAck.with { $0.taskID = request.taskID; $0.accepted = true }))
                let cancel = try #require(try await executor.nextClaim(Grid_V1_TaskCancel.self))
                #expect(cancel.taskID == request.taskID)
                #expect(cancel.reason.contains("deadline"))
                let outcome = await submission.result
                #expect((try? outcome.get()) == nil)
            }
        }
    }

    @Test func anExecutorStopsATaskItsRequesterCancels() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["sleep"])]) { cluster in
            try await RawPeer.withConnection(to: cluster[0].address) { requester in
                var request = Grid_V1_TaskRequest()
                request.taskID = Data(repeating: 9, count: 16)
                request.skill = "sleep"
                request.input = Data("60000".utf8)
                request.deadlineMs = 120_000
                try await requester.send(requester.sealed(request))
                let ack = try #require(try await requester.nextClaim(Grid_V1_TaskAck.self))
                #expect(ack.accepted)
                try await requester.send(requester.sealed(Grid_V1_TaskCancel.with { $0.taskID = request.taskID; $0.reason = "changed my mind" }))
                let result = try #require(try await requester.nextClaim(Grid_V1_TaskResult.self))
                #expect(result.taskID == request.taskID)
                #expect(result.error.code == .cancelled)
            }
            #expect(cluster.logs.text.contains("cancelled by"))
        }
    }
}

@Suite struct LingeringCloseClusteredTests {
    /// The node refuses a frame while its body is still arriving: without the lingering close it
    /// closed the socket with that body unread, the kernel sent a reset, and the Error was lost.
    @Test func theErrorOfAConnectionClosedMidFrameArrives() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"], configure: {
            $0.maxFrameBytes = 64 * 1024
            $0.maxTaskBytes = 32 * 1024
        })]) { cluster in
            for _ in 0..<5 {
                try await RawPeer.withConnection(to: cluster[0].address) { peer in
                    // A 1 MiB frame is announced and 8 MiB keep coming while the node refuses it.
                    try await peer.sendRaw([0x00, 0x10, 0x00, 0x00])
                    // The body is streamed without reading first, as most peers do. Once the node
                    // has shut its side the writes may fail (this client closes on the FIN), but
                    // the Error must be there to read, not destroyed by a reset.
                    let body = [UInt8](repeating: 0xAB, count: 256 * 1024)
                    do {
                        for _ in 0..<32 { try await peer.sendRaw(body) }
                    } catch {}
                    let error = try #require(try await peer.nextControlFrame())
                    #expect(error.error.code == .frameTooLarge)
                }
            }
        }
    }
}
