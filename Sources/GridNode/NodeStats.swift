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

    private(set) var droppedMessages = 0

    func dropped(_ reason: DropReason) {
        droppedMessages += 1
        Counter(label: "grid_peer_messages_dropped_total", dimensions: [("reason", reason.rawValue)]).increment()
    }
}
