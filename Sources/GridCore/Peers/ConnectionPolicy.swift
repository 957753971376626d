/// Bounds on a node's connections.
public struct ConnectionLimits: Sendable, Equatable {
    /// Inbound connections at most (handshaking ones included). Default 64.
    public var maxInbound = 64
    /// Connections at most, both directions. Default 128.
    public var maxTotal = 128
    /// Connections from one IP address at most. Default 16.
    public var maxPerIP = 16
    /// Above this many connections the least useful are closed, down to it. Default 96.
    public var highWatermark = 96

    public static let `default` = ConnectionLimits()

    public init() {}
}

/// One connection, as the policy sees it.
public struct ConnectionInfo: Sendable, Equatable {
    public var peer: NodeID
    public var inbound: Bool
    public var ip: String
    /// A pinned or bootstrap peer: never closed to make room.
    public var protected: Bool
    /// Skills the peer serves: a peer offering more is more useful to keep.
    public var skillCount: Int
    public var connectedAtMs: Int64

    public init(peer: NodeID, inbound: Bool, ip: String, protected: Bool, skillCount: Int, connectedAtMs: Int64) {
        self.peer = peer
        self.inbound = inbound
        self.ip = ip
        self.protected = protected
        self.skillCount = skillCount
        self.connectedAtMs = connectedAtMs
    }
}

/// Which connections a node accepts and which it closes when it has too many: pure functions of
/// the connections it has.
public enum ConnectionPolicy {
    /// Why an inbound connection from `ip` must be refused, or nil to accept it. `pendingInbound`
    /// counts connections from the same limits still in their handshake, `pendingFromIP` those from `ip`.
    public static func refusal(
        inboundFrom ip: String, connections: [ConnectionInfo], pendingInbound: Int, pendingFromIP: Int, limits: ConnectionLimits
    ) -> String? {
        let inbound = connections.count { $0.inbound } + pendingInbound
        if inbound >= limits.maxInbound {
            return "this node has \(inbound) inbound connections, its limit (maxInboundConnections); retry later or dial another node"
        }
        if connections.count + pendingInbound >= limits.maxTotal {
            return "this node has \(connections.count + pendingInbound) connections, its limit (maxConnections); retry later or dial another node"
        }
        let fromIP = connections.count { $0.ip == ip } + pendingFromIP
        if fromIP >= limits.maxPerIP {
            return "this node has \(fromIP) connections from \(ip), the limit per address (maxConnectionsPerIP)"
        }
        return nil
    }

    /// The connections to close, least useful first, so that at most `highWatermark` remain.
    /// Least useful: not protected; inbound before outbound (this node chose its outbound peers);
    /// fewer skills first; then the newest (older connections have proven stable).
    public static func toPrune(_ connections: [ConnectionInfo], limits: ConnectionLimits) -> [NodeID] {
        let excess = connections.count - limits.highWatermark
        guard excess > 0 else { return [] }
        let candidates = connections.filter { !$0.protected }.sorted { a, b in
            if a.inbound != b.inbound { return a.inbound }
            if a.skillCount != b.skillCount { return a.skillCount < b.skillCount }
            if a.connectedAtMs != b.connectedAtMs { return a.connectedAtMs > b.connectedAtMs }
            return a.peer < b.peer
        }
        return candidates.prefix(excess).map(\.peer)
    }
}

/// An inbound connection still in its handshake, as the admission policy sees it.
public struct PendingHandshake: Sendable, Equatable {
    public var id: UInt64
    public var ip: String
    /// When it was accepted (any monotonic clock; only the order matters).
    public var acceptedAt: Int64
    /// Whether a whole frame has come from it yet (an honest dialler's Hello arrives within a
    /// round trip; a connection that holds a place and says nothing is what a flood looks like).
    public var spoke: Bool

    public init(id: UInt64, ip: String, acceptedAt: Int64, spoke: Bool) {
        self.id = id
        self.ip = ip
        self.acceptedAt = acceptedAt
        self.spoke = spoke
    }
}

extension ConnectionPolicy {
    public enum Admission: Sendable, Equatable {
        case admit
        /// Admit the new connection, closing the pending handshake `id` to make room.
        case admitEvicting(id: UInt64)
        case refuse(String)
    }

    /// Whether to take an inbound connection from `ip`. The established connections' limits are
    /// hard. Where only connections in their handshake stand in the way (`maxPending`, or a
    /// limit they count towards), the oldest of them that has not sent a whole frame yet makes
    /// room — from `ip` itself when the limit is the per-address one — so connections that hold a
    /// place and say nothing cannot keep an honest peer out; with none such, the new one is refused.
    public static func admission(
        inboundFrom ip: String, connections: [ConnectionInfo], pending: [PendingHandshake], maxPending: Int, limits: ConnectionLimits
    ) -> Admission {
        if let hard = refusal(inboundFrom: ip, connections: connections, pendingInbound: 0, pendingFromIP: 0, limits: limits) {
            return .refuse(hard)
        }
        let fromIP = pending.filter { $0.ip == ip }
        let full = pending.count >= maxPending
        let soft = refusal(
            inboundFrom: ip, connections: connections, pendingInbound: pending.count, pendingFromIP: fromIP.count, limits: limits)
        guard full || soft != nil else { return .admit }
        let perAddress = !full && refusal(
            inboundFrom: ip, connections: connections, pendingInbound: 0, pendingFromIP: fromIP.count, limits: limits) != nil
            && refusal(inboundFrom: ip, connections: connections, pendingInbound: pending.count, pendingFromIP: 0, limits: limits) == nil
        let candidates = (perAddress ? fromIP : pending).filter { !$0.spoke }
        if let victim = candidates.min(by: { ($0.acceptedAt, $0.id) < ($1.acceptedAt, $1.id) }) {
            return .admitEvicting(id: victim.id)
        }
        return .refuse(full ? "\(maxPending) connections are in their handshake here (maxPendingHandshakes); retry later" : soft!)
    }
}
