import GridCore
import Metrics

/// Counters a running node keeps about itself, shown by `node.info` and exported as metrics.
actor NodeStats {
    /// Why a message from a peer was dropped without being acted on.
    enum DropReason: String, Sendable {
        case badSignature = "bad_signature"
        case malformed
        case wrongAuthor = "wrong_author"
        case unexpected
        case stale
        case replayed
        /// The connection was closed for breaking a rule (rate, decryption, frame size).
        case misbehaviour
        /// A ConvictionEvidence beyond `evidencePerPeerPerMinute` from one peer, or beyond the
        /// re-runs this node keeps pending for evidence.
        case evidenceOverLimit = "evidence_over_limit"
        /// A ConvictionEvidence judged false: its accused announces the skill as not deterministic,
        /// or this node's own run agreed with the accused (counted as the sender's misbehaviour).
        case falseEvidence = "false_evidence"
    }

    /// Why a connection was refused, or failed before its handshake completed.
    enum RefusalReason: String, Sendable {
        /// More inbound connections in their handshake than `maxPendingHandshakes`.
        case handshakeLimit = "handshake_limit"
        /// The handshake was refused: malformed, another network, a wrong key, …
        case handshakeFailed = "handshake_failed"
        case handshakeTimeout = "handshake_timeout"
        /// The peer closed the connection during its handshake, or before it could be read.
        case abandoned
        /// A connection in its handshake that had sent nothing, closed to make room for a newer one.
        case evicted
        /// A local API connection beyond `maxLocalConnections`.
        case localConnections = "local_connections"
    }

    private(set) var droppedMessages = 0
    private(set) var refusedConnections = 0

    func refused(_ reason: RefusalReason) {
        refusedConnections += 1
        Counter(label: "grid_connections_refused_total", dimensions: [("reason", reason.rawValue)]).increment()
    }

    /// Peers banned for misbehaviour since the node started.
    private(set) var bans = 0

    func banned() {
        bans += 1
        Counter(label: "grid_peer_bans_total").increment()
    }

    func dropped(_ reason: DropReason) {
        droppedMessages += 1
        Counter(label: "grid_peer_messages_dropped_total", dimensions: [("reason", reason.rawValue)]).increment()
    }
}

extension NodeStats.DropReason {
    /// The offence a drop counts against the peer: none for a message of a kind this node does not
    /// know (a later version's) or for evidence beyond the limits (the sender may be honest).
    var offence: Offence? {
        switch self {
        case .badSignature: .badSignature
        case .malformed: .malformed
        case .wrongAuthor: .wrongAuthor
        case .stale: .stale
        case .replayed: .replayed
        case .misbehaviour: .connectionRule
        case .falseEvidence: .falseEvidence
        case .unexpected, .evidenceOverLimit: nil
        }
    }
}
