/// What a peer did wrong, as the node counts it. Each kind weighs `points` on the peer's score
/// (``MisbehaviourLedger``); a kind that could be an honest peer's bad luck weighs little.
public enum Offence: String, Sendable, CaseIterable {
    /// An envelope whose signature is missing or does not verify.
    case badSignature = "bad_signature"
    /// An envelope signed by a node other than the peer that sent it.
    case wrongAuthor = "wrong_author"
    /// An envelope whose (author, nonce) was accepted before.
    case replayed
    /// A message that does not parse, or breaks a structural rule.
    case malformed
    /// A claim outside the replay window: usually a skewed clock, so it weighs little.
    case stale
    /// A handshake frame after the handshake.
    case unexpected
    /// A ConvictionEvidence judged false: an attempt to frame another node.
    case falseEvidence = "false_evidence"
    /// A rule whose break closes the connection: the message rate, a frame that does not decrypt,
    /// a frame of length 0 or above the size limit, the stream ending inside a frame.
    case connectionRule = "connection_rule"

    /// Points added to the score (the default threshold for a ban is 100).
    public var points: Double {
        switch self {
        case .stale: 2
        case .malformed, .replayed, .unexpected: 10
        case .badSignature, .wrongAuthor: 20
        case .falseEvidence, .connectionRule: 25
        }
    }
}

/// How misbehaviour costs a peer. Defaults: a score that halves every 10 minutes; a ban at 100
/// points; the first ban lasts 1 minute and each later one twice the one before, up to 24 hours;
/// a peer whose last ban ended a full `maxBan` ago starts again from the first.
public struct MisbehaviourSettings: Sendable, Equatable {
    /// Score at which a peer is banned. Default 100.
    public var banThreshold: Double = 100
    /// Time for a score to halve with no new offence. Default 10 minutes.
    public var halfLifeMs: Int64 = 600_000
    /// Length of a peer's first ban. Default 1 minute.
    public var firstBanMs: Int64 = 60_000
    /// Longest ban. Default 24 hours.
    public var maxBanMs: Int64 = 86_400_000
    /// Peers remembered at most; beyond it the one with the lowest score and no ban is forgotten.
    /// Default 4096.
    public var maxTracked = 4096

    public static let `default` = MisbehaviourSettings()

    public init() {}
}

/// Every peer's misbehaviour score and temporary ban, as a pure state machine over wall-clock
/// milliseconds: the shell records offences, carries out the bans it is told of, and asks whether
/// a peer is banned before it accepts or dials it. A ban's length doubles with each ban.
public struct MisbehaviourLedger: Sendable {
    public struct Standing: Sendable, Equatable {
        /// The score now, after decay.
        public var score: Double
        /// Offences counted since the node started (never decays).
        public var offences: Int
        /// When the current ban ends, or nil when the peer is not banned.
        public var bannedUntilMs: Int64?
        /// Bans so far in the current series (the next lasts `firstBan × 2^bans`).
        public var bans: Int
    }

    public enum Verdict: Sendable, Equatable {
        /// Counted; the peer stays.
        case counted(score: Double)
        /// The score crossed the threshold: ban the peer (disconnect it) until `untilMs`, for
        /// `durationMs`. The score starts again from 0.
        case ban(untilMs: Int64, durationMs: Int64)
        /// Already banned: counted only.
        case alreadyBanned(untilMs: Int64)
    }

    private struct Entry: Sendable {
        var score: Double
        var atMs: Int64
        var offences: Int
        var bannedUntilMs: Int64?
        var bans: Int
        var lastBanEndMs: Int64?
    }

    public let settings: MisbehaviourSettings
    private var entries: [NodeID: Entry] = [:]

    public init(settings: MisbehaviourSettings = .default) {
        self.settings = settings
    }

    public var trackedCount: Int { entries.count }

    /// Counts `offence` by `peer` at `nowMs`.
    public mutating func record(_ offence: Offence, by peer: NodeID, nowMs: Int64) -> Verdict {
        var entry = current(peer, nowMs: nowMs) ?? Entry(score: 0, atMs: nowMs, offences: 0, bans: 0)
        entry.offences += 1
        if let until = entry.bannedUntilMs {
            entries[peer] = entry
            return .alreadyBanned(untilMs: until)
        }
        entry.score += offence.points
        guard entry.score >= settings.banThreshold else {
            entries[peer] = entry
            if entries.count > settings.maxTracked { forgetOne(sparing: peer, nowMs: nowMs) }
            return .counted(score: entry.score)
        }
        if let end = entry.lastBanEndMs, nowMs - end >= settings.maxBanMs { entry.bans = 0 }
        let duration = Self.banLength(after: entry.bans, settings)
        entry.bans += 1
        entry.score = 0
        entry.bannedUntilMs = nowMs + duration
        entry.lastBanEndMs = nowMs + duration
        entries[peer] = entry
        return .ban(untilMs: nowMs + duration, durationMs: duration)
    }

    /// The length of the ban after `bans` earlier ones in the series: `firstBan × 2^bans`, at most `maxBan`.
    static func banLength(after bans: Int, _ settings: MisbehaviourSettings) -> Int64 {
        var length = settings.firstBanMs
        for _ in 0..<min(bans, 62) {
            guard length < settings.maxBanMs else { break }
            length *= 2
        }
        return min(length, settings.maxBanMs)
    }

    /// When `peer`'s ban ends, or nil when it is not banned at `nowMs`.
    public func bannedUntil(_ peer: NodeID, nowMs: Int64) -> Int64? {
        guard let until = entries[peer]?.bannedUntilMs, until > nowMs else { return nil }
        return until
    }

    /// What the ledger holds of `peer` at `nowMs`, or nil when nothing.
    public func standing(of peer: NodeID, nowMs: Int64) -> Standing? {
        current(peer, nowMs: nowMs).map { Standing(score: $0.score, offences: $0.offences, bannedUntilMs: $0.bannedUntilMs, bans: $0.bans) }
    }

    /// Peers banned at `nowMs`, with when each ban ends.
    public func banned(nowMs: Int64) -> [(peer: NodeID, untilMs: Int64)] {
        entries.compactMap { peer, entry in
            entry.bannedUntilMs.flatMap { $0 > nowMs ? (peer, $0) : nil }
        }.sorted { $0.peer < $1.peer }
    }

    /// Lifts `peer`'s ban and clears its score and series (the operator's `peers unban`).
    /// False when the ledger held nothing against it.
    @discardableResult
    public mutating func forgive(_ peer: NodeID) -> Bool {
        entries.removeValue(forKey: peer) != nil
    }

    /// `peer`'s entry decayed to `nowMs`, its ended ban cleared.
    private func current(_ peer: NodeID, nowMs: Int64) -> Entry? {
        guard var entry = entries[peer] else { return nil }
        if let until = entry.bannedUntilMs, until <= nowMs { entry.bannedUntilMs = nil }
        let elapsed = max(0, nowMs - entry.atMs)
        entry.score *= Decay.factor(elapsed: .milliseconds(elapsed), halfLife: .milliseconds(settings.halfLifeMs))
        entry.atMs = max(entry.atMs, nowMs)
        return entry
    }

    private mutating func forgetOne(sparing peer: NodeID, nowMs: Int64) {
        let candidates = entries.compactMap { id, _ -> (NodeID, Double)? in
            guard id != peer, let entry = current(id, nowMs: nowMs), entry.bannedUntilMs == nil else { return nil }
            return (id, entry.score)
        }
        if let victim = candidates.min(by: { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }) { entries[victim.0] = nil }
    }
}
