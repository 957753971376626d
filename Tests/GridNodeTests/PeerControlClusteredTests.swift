import Foundation
import GridClient
import GridCore
import GridCrypto
import GridLocalAPI
import GridNode
import GridTestKit
import GridWire
import Testing

/// What misbehaviour costs a peer (a ban that ends, and doubles), and the operator's say over
/// bans and pins: `peers.unban`, `peers.remove`.
@Suite(.serialized) struct PeerControlClusteredTests {
    /// A claim whose signature does not verify: 20 points of misbehaviour (Protocol/README.md).
    static func forged(_ sender: RawPeerConnection) throws -> Grid_V1_Frame {
        var frame = try sender.sealed(Grid_V1_SkillAnnouncement())
        frame.envelope.signature[0] ^= 0xFF
        return frame
    }

    /// The next Error frame, skipping pings and claims; nil once the node closed without one.
    static func nextError(_ connection: RawPeerConnection) async throws -> Grid_V1_Error? {
        while let frame = try await connection.nextControlFrame() {
            if case .error(let error) = frame.body { return error }
        }
        return nil
    }

    @Test func aPeerWhoseScoreReachesTheThresholdIsBannedUntilTheBanEndsOrTheOperatorLiftsIt() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"])]) { cluster in
            let mallory = SigningIdentity()
            try await RawPeer.withConnection(to: cluster[0].address, identity: mallory) { sender in
                for _ in 0..<4 { try await sender.send(try Self.forged(sender)) }
                try await poll("four forgeries to count") {
                    try await cluster[0].withClient { try await $0.peers() }.first { $0.nodeId == mallory.nodeID.hex }?.misbehaviour == 4
                }
                let before = try #require(try await cluster[0].withClient { try await $0.peers() }.first { $0.nodeId == mallory.nodeID.hex })
                #expect(before.state == "alive" && before.misbehaviourScore.map { $0 > 79 && $0 <= 80 } == true)
                // The score decays as it goes (it halves every 10 minutes), so the fifth takes it
                // just short of 100 and the sixth past it.
                for _ in 0..<2 { try? await sender.send(try Self.forged(sender)) }
                let error = try #require(try await Self.nextError(sender))
                #expect(error.code == .temporarilyBanned)
                #expect((50_000...60_000).contains(error.retryAfterMs), "the first ban: firstBanMs (60 s)")
                #expect(try await sender.nextControlFrame() == nil, "and the connection closed")
            }
            let banned = try #require(try await cluster[0].withClient { try await $0.peers() }.first { $0.nodeId == mallory.nodeID.hex })
            #expect(banned.state == "banned" && banned.misbehaviour == 6)
            let until = try #require(banned.bannedUntilMs)
            #expect(until > Int64(Date().timeIntervalSince1970 * 1000) + 50_000)

            // While banned, it is refused right after it proves its key, and told when to come back.
            try await RawPeer.withConnection(to: cluster[0].address, identity: mallory) { again in
                let refusal = try #require(try await Self.nextError(again))
                #expect(refusal.code == .temporarilyBanned && refusal.retryAfterMs > 0)
            }
            #expect(cluster.logs.text.contains("banned peer \(mallory.nodeID.short) for 60 s"))

            // The operator lifts it: the peer is served again, its score cleared.
            let lifted = try await cluster[0].withClient { try await $0.unbanPeer(mallory.nodeID.hex) }
            #expect(lifted.done.contains("unbanned \(mallory.nodeID.short)"))
            try await RawPeer.withConnection(to: cluster[0].address, identity: mallory) { welcome in
                #expect(try await welcome.nextClaim(Grid_V1_SkillAnnouncement.self) != nil)
                let view = try #require(try await cluster[0].withClient { try await $0.peers() }.first { $0.nodeId == mallory.nodeID.hex })
                #expect(view.state == "alive" && view.misbehaviourScore == nil && view.bannedUntilMs == nil)
            }
            let error = await #expect(throws: RPCError.self) {
                try await cluster[0].withClient { try await $0.unbanPeer(mallory.nodeID.hex) }
            }
            #expect(error?.message.contains("is not banned here") == true)
        }
    }

    @Test func anOperatorBanIsListedAndLiftedByUnban() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"]), TestNodeSpec(skills: ["sha256"])]) { cluster in
            try await cluster.waitUntilMeshed()
            let other = cluster[1].nodeID
            _ = try await cluster[0].withClient { try await $0.banPeer(PeerBanParams(nodeId: other.hex)) }
            try await poll("the banned peer to be listed as banned") {
                try await cluster[0].withClient { try await $0.peers() }.contains { $0.nodeId == other.hex && $0.state == "banned" && $0.bannedUntilMs == nil }
            }
            let lifted = try await cluster[0].withClient { try await $0.unbanPeer(other.hex) }
            #expect(lifted.done.contains("unbanned"))
            // Node 1 was told it is banned and does not dial again while it runs; node 0 may dial it.
            _ = try await cluster[0].withClient { try await $0.addPeer(PeerAddParams(address: cluster[1].address.description)) }
            try await poll("the peers to reconnect") { try await cluster[0].withClient { try await $0.peers() }.connected.count == 1 }
        }
    }

    @Test func aMistypedPinIsReportedWithItsSourceAndRemoved() async throws {
        try await withTestCluster([TestNodeSpec(skills: ["echo"], bootstrapFrom: []), TestNodeSpec(skills: ["sha256"], bootstrapFrom: [])]) {
            cluster in
            let wrongKey = SigningIdentity().nodeID
            let address = cluster[1].address.description
            _ = try await cluster[0].withClient { try await $0.addPeer(PeerAddParams(address: address, nodeId: wrongKey.hex)) }
            try await poll("the refusal to be logged with what to do") {
                cluster.logs.text.contains("not the pinned key \(wrongKey.hex); the key was pinned by `gridnode peers add --node-id`")
            }
            #expect(cluster.logs.text.contains("`gridnode peers remove \(wrongKey.hex)`"))
            #expect(!cluster.logs.text.contains("bootstrap-peers.json"), "neither side is told to fix a file that pinned nothing")
            try await poll("the other side to log what it was told") {
                cluster.logs.text.contains("the dialling node expected key \(wrongKey.hex) at this address")
            }

            let removed = try await cluster[0].withClient { try await $0.removePeer(PeerRemoveParams(nodeId: wrongKey.hex)) }
            #expect(removed.done == "removed \(wrongKey.short) from the address book; stopped dialling \(address)")
            let logged = cluster.logs.text.components(separatedBy: "not the pinned key").count
            _ = try await cluster[0].withClient { try await $0.addPeer(PeerAddParams(address: address, nodeId: cluster[1].nodeID.hex)) }
            try await poll("the right pin to connect") { try await cluster[0].withClient { try await $0.peers() }.connected.count == 1 }
            try await poll("the wrong pin's dialer to stop") { cluster.logs.text.contains("no longer dialling \(address)") }
            // A dial in flight when the pin was removed may still end in one more refusal; no more follow.
            #expect(cluster.logs.text.components(separatedBy: "not the pinned key").count <= logged + 1, "the wrong pin is dialled no more")

            let error = await #expect(throws: RPCError.self) {
                try await cluster[0].withClient { try await $0.removePeer(PeerRemoveParams(nodeId: wrongKey.hex)) }
            }
            #expect(error?.message.contains("no peer \(wrongKey.hex) in the address book or being dialled") == true)
            let both = await #expect(throws: RPCError.self) {
                try await cluster[0].withClient { try await $0.removePeer(PeerRemoveParams(nodeId: wrongKey.hex, address: address)) }
            }
            #expect(both?.code == RPCError.invalidParams)
        }
    }
}
