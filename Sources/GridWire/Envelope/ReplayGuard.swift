import GridCore
import NIOCore

/// Refuses claims that are stale, from the future, or already seen (Protocol/README.md, "Replay").
///
/// A claim's timestamp must lie within `skewMs` of this node's clock, and not before the node
/// started: a claim signed before the restart may have been acted on by the previous run, whose
/// memory of nonces is gone. Within the window each (author, nonce) is accepted once; entries are
/// kept until their timestamp leaves the window, at most `capacity` of them (the oldest go first).
public struct ReplayGuard: Sendable {
    /// How far a claim's timestamp may be from this node's clock, in ms. Default 60000.
    public let skewMs: UInt64
    /// Most (author, nonce) pairs remembered. Default 100000.
    public let capacity: Int
    /// Claims signed before this instant (ms since the epoch) are refused: the node's start.
    public let notBeforeMs: UInt64

    private var seen: Set<[UInt8]> = []
    private var order = CircularBuffer<(key: [UInt8], expiresAtMs: UInt64)>()

    public init(skewMs: UInt64 = 60_000, capacity: Int = 100_000, notBeforeMs: UInt64) {
        precondition(capacity > 0, "the replay cache holds at least one entry")
        self.skewMs = skewMs
        self.capacity = capacity
        self.notBeforeMs = notBeforeMs
    }

    public var count: Int { seen.count }

    /// Accepts the claim once, or throws the reason it must be dropped.
    public mutating func admit(_ claim: VerifiedEnvelope, nowMs: UInt64) throws(GridError) {
        try admit(author: claim.author, nonce: claim.nonce, timestampMs: claim.timestampMs, nowMs: nowMs)
    }

    public mutating func admit(author: NodeID, nonce: [UInt8], timestampMs: UInt64, nowMs: UInt64) throws(GridError) {
        while let first = order.first, first.expiresAtMs <= nowMs {
            seen.remove(order.removeFirst().key)
        }
        // Differences only, never sums: a timestamp near 2^64 from a peer must not overflow.
        if timestampMs < nowMs, nowMs - timestampMs > skewMs {
            throw GridError(
                .staleClaim,
                "a claim signed \((nowMs - timestampMs) / 1000) s ago is outside the ±\(skewMs / 1000) s window; check both nodes' clocks (NTP)")
        }
        if timestampMs > nowMs, timestampMs - nowMs > skewMs {
            throw GridError(
                .staleClaim,
                "a claim signed \((timestampMs - nowMs) / 1000) s in the future is outside the ±\(skewMs / 1000) s window; check both nodes' clocks (NTP)")
        }
        if timestampMs < notBeforeMs {
            throw GridError(.staleClaim, "a claim signed before this node started is refused (it may have been acted on before the restart)")
        }
        let key = author.bytes + nonce
        guard !seen.contains(key) else {
            throw GridError(.replayedClaim, "a claim by \(author.short) with a nonce already seen: a replay")
        }
        if seen.count >= capacity, let oldest = order.popFirst() {
            seen.remove(oldest.key)
        }
        seen.insert(key)
        let (expiry, overflow) = timestampMs.addingReportingOverflow(skewMs + 1)
        order.append((key, overflow ? .max : expiry))
    }
}

extension GridError.Code {
    public static let staleClaim = Self("wire.stale_claim")
    public static let replayedClaim = Self("wire.replayed_claim")
}
