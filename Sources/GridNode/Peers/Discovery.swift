import GridCore
import Logging

/// What this node learned from peer exchange: the newest signed record of each node, aged out
/// after `maxAge`. Asks for a dial to every node it learns that is not connected, not being dialled
/// and not this node, while outbound connections stay under the target.
actor Discovery {
    struct Learned: Sendable {
        var addresses: [HostPort]
        var timestampMs: UInt64
    }

    private let localNode: NodeID
    private let targetOutbound: Int
    private let maxAgeMs: UInt64
    private var learned: [NodeID: Learned] = [:]
    private var dialing: Set<NodeID> = []
    /// A target to dial: once (learned from exchange) or for as long as the node runs (added by the operator).
    struct DialRequest: Sendable {
        var target: BootstrapPeer
        var persistent: Bool
    }

    /// The node's dialer takes targets from here.
    nonisolated let dialRequests: AsyncStream<DialRequest>
    private let requestDial: AsyncStream<DialRequest>.Continuation

    init(localNode: NodeID, targetOutbound: Int, maxAgeMs: UInt64) {
        self.localNode = localNode
        self.targetOutbound = targetOutbound
        self.maxAgeMs = maxAgeMs
        (dialRequests, requestDial) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1024))
    }

    var count: Int { learned.count }

    /// Takes in verified records; `connected` and `outbound` describe the node's connections now.
    func learn(
        _ records: [(node: NodeID, addresses: [String], timestampMs: UInt64)], nowMs: UInt64, connected: Set<NodeID>,
        outbound: Int, banned: Set<NodeID>
    ) {
        learned = learned.filter { nowMs <= $0.value.timestampMs || nowMs - $0.value.timestampMs <= maxAgeMs }
        for record in records where record.node != localNode {
            guard nowMs <= record.timestampMs || nowMs - record.timestampMs <= maxAgeMs else { continue }  // too old to trust
            let addresses = record.addresses.compactMap { try? HostPort(parsing: $0) }.filter { !$0.isUnspecified && $0.port > 0 }
            guard !addresses.isEmpty, (learned[record.node]?.timestampMs ?? 0) < record.timestampMs else { continue }
            learned[record.node] = Learned(addresses: addresses, timestampMs: record.timestampMs)
        }
        // A dial that became a connection counts in `outbound`; only those still pending count here.
        var slots = targetOutbound - outbound - dialing.subtracting(connected).count
        for (node, entry) in learned.sorted(by: { $0.key < $1.key }) where slots > 0 {
            guard !connected.contains(node), !dialing.contains(node), !banned.contains(node) else { continue }
            dialing.insert(node)
            slots -= 1
            requestDial.yield(DialRequest(
                target: BootstrapPeer(name: "learned \(node.short)", address: entry.addresses[0], publicKey: node, pinnedBy: .peerExchange), persistent: false))
        }
    }

    /// The operator added `target` (`gridnode peers add`): dial it like a bootstrap peer.
    nonisolated func keepDialling(_ target: BootstrapPeer) {
        requestDial.yield(DialRequest(target: target, persistent: true))
    }

    func dialFinished(_ node: NodeID) {
        dialing.remove(node)
    }

    func finish() {
        requestDial.finish()
    }
}
