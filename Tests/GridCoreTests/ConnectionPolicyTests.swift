import GridCore
import Testing

@Suite struct ConnectionPolicyTests {
    func connection(_ n: UInt8, inbound: Bool = true, ip: String = "10.0.0.1", protected: Bool = false, skills: Int = 1, at: Int64 = 0)
        -> ConnectionInfo
    {
        ConnectionInfo(peer: node(n), inbound: inbound, ip: ip, protected: protected, skillCount: skills, connectedAtMs: at)
    }

    var limits: ConnectionLimits {
        var limits = ConnectionLimits()
        limits.maxInbound = 3
        limits.maxTotal = 4
        limits.maxPerIP = 2
        limits.highWatermark = 3
        return limits
    }

    @Test func acceptsWithinEveryLimit() {
        #expect(ConnectionPolicy.refusal(inboundFrom: "10.0.0.9", connections: [connection(1)], pendingInbound: 0, pendingFromIP: 0, limits: limits) == nil)
    }

    @Test(arguments: [
        ([UInt8(1), 2, 3], 0, "10.0.0.9", "maxInboundConnections"),
        ([1, 2], 1, "10.0.0.9", "maxInboundConnections"),
        ([1, 2], 0, "10.0.0.1", "maxConnectionsPerIP"),
    ])
    func refusesAtEachLimitNamingIt(_ existing: [UInt8], _ pending: Int, _ ip: String, _ mentioned: String) {
        let connections = existing.map { connection($0, ip: $0 <= 2 ? "10.0.0.1" : "10.0.0.3") }
        let refusal = ConnectionPolicy.refusal(inboundFrom: ip, connections: connections, pendingInbound: pending, pendingFromIP: 0, limits: limits)
        #expect(refusal?.contains(mentioned) == true, "\(refusal ?? "accepted")")
    }

    @Test func theTotalLimitCountsOutboundToo() {
        let connections = [connection(1, inbound: false, ip: "a"), connection(2, inbound: false, ip: "b"), connection(3, inbound: false, ip: "c"),
                           connection(4, ip: "d")]
        let refusal = ConnectionPolicy.refusal(inboundFrom: "e", connections: connections, pendingInbound: 0, pendingFromIP: 0, limits: limits)
        #expect(refusal?.contains("maxConnections") == true)
    }

    @Test func nothingIsPrunedAtOrBelowTheHighWatermark() {
        #expect(ConnectionPolicy.toPrune([connection(1), connection(2), connection(3)], limits: limits).isEmpty)
    }

    @Test func prunesTheLeastUsefulAndNeverProtectedPeers() {
        let connections = [
            connection(1, protected: true, skills: 0, at: 9),   // protected: never
            connection(2, inbound: false, skills: 0, at: 9),   // outbound: kept before inbound
            connection(3, skills: 5, at: 9),                   // many skills
            connection(4, skills: 1, at: 1),                   // older
            connection(5, skills: 1, at: 8),                   // newest of the weak inbound: first to go
            connection(6, skills: 0, at: 2),                   // fewest skills: goes
        ]
        #expect(ConnectionPolicy.toPrune(connections, limits: limits) == [node(6), node(5), node(4)])
    }

    @Test func protectedPeersMayKeepTheNodeAboveTheWatermark() {
        let connections = (1...5).map { connection(UInt8($0), protected: true) }
        #expect(ConnectionPolicy.toPrune(connections, limits: limits).isEmpty)
    }
}

@Suite struct HandshakeAdmissionTests {
    static func pending(_ id: UInt64, _ ip: String = "10.0.0.1", spoke: Bool = false) -> PendingHandshake {
        PendingHandshake(id: id, ip: ip, acceptedAt: Int64(id), spoke: spoke)
    }

    @Test func belowTheLimitsAConnectionIsAdmitted() {
        #expect(ConnectionPolicy.admission(inboundFrom: "10.0.0.1", connections: [], pending: [Self.pending(1)], maxPending: 4, limits: .default) == .admit)
    }

    @Test func atThePendingLimitTheOldestSilentHandshakeMakesRoom() {
        let pending = [Self.pending(3), Self.pending(1, spoke: true), Self.pending(2, "10.0.0.2"), Self.pending(4)]
        #expect(ConnectionPolicy.admission(inboundFrom: "10.0.0.9", connections: [], pending: pending, maxPending: 4, limits: .default)
            == .admitEvicting(id: 2))
    }

    @Test func whenEveryPendingHandshakeHasSpokenTheNewOneIsRefused() {
        let pending = (1...4).map { Self.pending($0, spoke: true) }
        guard case .refuse(let reason) = ConnectionPolicy.admission(
            inboundFrom: "10.0.0.9", connections: [], pending: pending, maxPending: 4, limits: .default)
        else { Issue.record("admitted"); return }
        #expect(reason.contains("maxPendingHandshakes"))
    }

    @Test func atThePerAddressLimitOnlyThatAddressMakesRoom() {
        var limits = ConnectionLimits()
        limits.maxPerIP = 2
        let pending = [Self.pending(1, "10.0.0.2"), Self.pending(2, "10.0.0.1"), Self.pending(3, "10.0.0.1", spoke: true)]
        #expect(ConnectionPolicy.admission(inboundFrom: "10.0.0.1", connections: [], pending: pending, maxPending: 64, limits: limits)
            == .admitEvicting(id: 2), "not the older handshake of another address")
        let spoken = [Self.pending(1, "10.0.0.2"), Self.pending(2, "10.0.0.1", spoke: true), Self.pending(3, "10.0.0.1", spoke: true)]
        guard case .refuse(let reason) = ConnectionPolicy.admission(
            inboundFrom: "10.0.0.1", connections: [], pending: spoken, maxPending: 64, limits: limits)
        else { Issue.record("admitted"); return }
        #expect(reason.contains("maxConnectionsPerIP"))
    }

    @Test func establishedConnectionsAreAHardLimit() {
        var limits = ConnectionLimits()
        limits.maxInbound = 1
        let established = [ConnectionInfo(peer: node(1), inbound: true, ip: "10.0.0.5", protected: false, skillCount: 0, connectedAtMs: 0)]
        guard case .refuse(let reason) = ConnectionPolicy.admission(
            inboundFrom: "10.0.0.1", connections: established, pending: [Self.pending(7)], maxPending: 64, limits: limits)
        else { Issue.record("admitted"); return }
        #expect(reason.contains("maxInboundConnections"))
    }
}
