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
