/// What this node has seen of each node's work, per (node, skill): the outcomes of the tasks it
/// handed them, with latency. The skill router rates nodes from it, and the trust graph takes this
/// node's local trust from it.
///
/// Three views of the same outcomes, each with its own memory:
/// - **success rate** over a sliding window of the last ``Settings/window`` rated outcomes
///   (``ExperienceOutcome/isRated``);
/// - **latency** as an exponentially weighted moving average, `ewma ← α·sample + (1−α)·ewma`,
///   over successes and application errors (the work ran), α = ``Settings/latencyAlpha``;
/// - **decayed weights** for trust: every outcome adds its weight (``Settings/trustWeights``) to a
///   positive or a negative sum, and both sums halve every ``Settings/halfLife``, so old
///   behaviour fades and a node that turns bad loses its standing;
/// - **convictions**: a wrong result (proven by a spot-check or a vote, with signed evidence) marks
///   the node convicted for ``Settings/convictionMemory``: it has no local trust and the router
///   gives it no work. A liar cannot buy its way back with correct answers, since only a fraction
///   of results are ever checked.
public struct Experience: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Rated outcomes kept per (node, skill) for the success rate. Default 50.
        public var window: Int
        /// Weight of the newest latency sample in the moving average. Default 0.2.
        public var latencyAlpha: Double
        /// Time for the trust weights to halve. Default 1 hour.
        public var halfLife: Duration
        /// What each outcome adds to local trust: positive to the successes, negative to the
        /// failures. Defaults: success +1, application error 0, refusal −0.25, failure −1,
        /// timeout −1, wrong result −10 (a lie costs ten good answers).
        public var trustWeights: [ExperienceOutcome: Double]
        /// Most (node, skill) records kept; the least recently used goes first. Default 100000.
        public var maxRecords: Int
        /// How long a node stays convicted after its last wrong result. Default 24 hours.
        public var convictionMemory: Duration

        public init(
            window: Int = 50, latencyAlpha: Double = 0.2, halfLife: Duration = .seconds(3600),
            trustWeights: [ExperienceOutcome: Double] = Settings.defaultTrustWeights, maxRecords: Int = 100_000,
            convictionMemory: Duration = .seconds(86_400)
        ) {
            precondition(window > 0 && (0...1).contains(latencyAlpha) && latencyAlpha > 0, "a window and a positive α")
            precondition(halfLife > .zero && maxRecords > 0, "a half-life and room for records")
            self.window = window
            self.latencyAlpha = latencyAlpha
            self.halfLife = halfLife
            self.trustWeights = trustWeights
            self.maxRecords = maxRecords
            self.convictionMemory = convictionMemory
        }

        public static let defaultTrustWeights: [ExperienceOutcome: Double] = [
            .success: 1, .applicationError: 0, .refusal: -0.25, .failure: -1, .timeout: -1, .wrongResult: -10,
        ]
        public static let `default` = Settings()
    }

    /// What is known of one (node, skill).
    public struct Record: Sendable, Equatable {
        /// The last rated outcomes, oldest first: true for a success.
        public fileprivate(set) var recent: [Bool] = []
        /// Moving average of the latency, in milliseconds.
        public fileprivate(set) var latencyMs: Double?
        /// Decayed sums of positive and (as a positive number) negative trust weights, as of `updatedAt`.
        public fileprivate(set) var positive: Double = 0
        public fileprivate(set) var negative: Double = 0
        public fileprivate(set) var updatedAt: ContinuousClock.Instant
        /// Every outcome ever recorded, undecayed.
        public fileprivate(set) var counts: [ExperienceOutcome: Int] = [:]
        /// Results of this (node, skill) that an independent run confirmed, since its last wrong
        /// one: what ``VerificationPolicy`` checks less often the higher it is.
        public fileprivate(set) var verified = 0
        /// Of those, the ones confirmed by an anchored vote (one that this node, a pinned peer or a
        /// provider with standing took part in): the node's standing here.
        public fileprivate(set) var anchored = 0

        /// Rated outcomes in the window.
        public var samples: Int { recent.count }
        public var successes: Int { recent.reduce(0) { $0 + ($1 ? 1 : 0) } }
        /// Successes over rated outcomes in the window; nil before the first.
        public var successRate: Double? { recent.isEmpty ? nil : Double(successes) / Double(recent.count) }
    }

    public struct Key: Hashable, Sendable {
        public var node: NodeID
        public var skill: SkillID
        public init(node: NodeID, skill: SkillID) {
            self.node = node
            self.skill = skill
        }
    }

    public let settings: Settings
    public private(set) var records: [Key: Record] = [:]
    /// When each convicted node last returned a wrong result.
    public private(set) var convictions: [NodeID: ContinuousClock.Instant] = [:]

    public init(settings: Settings = .default) {
        self.settings = settings
    }

    /// Records that `node` gave `outcome` for a task of `skill`; `latency` is from request to
    /// result (or the local run's time), given for outcomes where the work ran.
    public mutating func record(
        _ outcome: ExperienceOutcome, node: NodeID, skill: SkillID, latency: Duration? = nil, now: ContinuousClock.Instant
    ) {
        let key = Key(node: node, skill: skill)
        makeRoom(for: key)
        var record = records[key] ?? Record(updatedAt: now)
        let keep = Decay.factor(elapsed: record.updatedAt.duration(to: now), halfLife: settings.halfLife)
        record.positive *= keep
        record.negative *= keep
        record.updatedAt = max(record.updatedAt, now)
        let weight = settings.trustWeights[outcome] ?? 0
        if weight > 0 { record.positive += weight } else { record.negative -= weight }
        if outcome.isRated {
            record.recent.append(outcome == .success)
            if record.recent.count > settings.window { record.recent.removeFirst(record.recent.count - settings.window) }
        }
        if let latency, outcome == .success || outcome == .applicationError {
            let sample = max(Double(latency.nanoseconds) / 1_000_000, 0)
            let alpha = settings.latencyAlpha
            record.latencyMs = record.latencyMs.map { alpha * sample + (1 - alpha) * $0 } ?? sample
        }
        record.counts[outcome, default: 0] += 1
        if outcome == .wrongResult {
            record.verified = 0
            record.anchored = 0
        }
        records[key] = record
        if outcome == .wrongResult {
            convictions[node] = max(convictions[node] ?? now, now)
            if convictions.count > settings.maxRecords, let oldest = convictions.min(by: { $0.value < $1.value })?.key {
                convictions[oldest] = nil
            }
        }
    }

    /// An independent run confirmed a result of `node` for `skill` (a check, or replicas that
    /// agreed with it); `anchored` when the agreement was anchored (``ResultVote/isAnchored(_:)``).
    public mutating func recordVerified(node: NodeID, skill: SkillID, anchored: Bool = true, now: ContinuousClock.Instant) {
        let key = Key(node: node, skill: skill)
        makeRoom(for: key)
        records[key, default: Record(updatedAt: now)].verified += 1
        if anchored { records[key]?.anchored += 1 }
    }

    /// Drops the least recently updated record when `key` is new and the table is full.
    private mutating func makeRoom(for key: Key) {
        if records[key] == nil, records.count >= settings.maxRecords,
            let oldest = records.min(by: { $0.value.updatedAt < $1.value.updatedAt })?.key
        {
            records[oldest] = nil
        }
    }

    /// Confirmed results of `node` for `skill` since its last wrong one.
    public func verifiedCount(node: NodeID, skill: SkillID) -> Int {
        records[Key(node: node, skill: skill)]?.verified ?? 0
    }

    /// Of those, the ones confirmed by anchored votes: `node`'s standing here for `skill`.
    public func anchoredCount(node: NodeID, skill: SkillID) -> Int {
        records[Key(node: node, skill: skill)]?.anchored ?? 0
    }

    /// Whether `node` returned a wrong result within the conviction memory.
    public func isConvicted(_ node: NodeID, now: ContinuousClock.Instant) -> Bool {
        guard let at = convictions[node] else { return false }
        return at.duration(to: now) < settings.convictionMemory
    }

    public func record(node: NodeID, skill: SkillID) -> Record? {
        records[Key(node: node, skill: skill)]
    }

    /// Forgets everything about `node` (an operator's reset).
    public mutating func forget(_ node: NodeID) {
        records = records.filter { $0.key.node != node }
        convictions[node] = nil
    }

    /// This node's local trust in each node it has experience of: decayed positive minus negative
    /// weights, summed over skills and clipped at zero (EigenTrust's s_ij); a convicted node has
    /// none. Nodes at zero are left out. The trust graph normalises them.
    public func localTrust(now: ContinuousClock.Instant) -> [NodeID: Double] {
        var sums: [NodeID: Double] = [:]
        for (key, record) in records where !isConvicted(key.node, now: now) {
            let keep = Decay.factor(elapsed: record.updatedAt.duration(to: now), halfLife: settings.halfLife)
            sums[key.node, default: 0] += (record.positive - record.negative) * keep
        }
        return sums.filter { $0.value > 0 }
    }

    /// One node's record over all its skills: summed windows and counts, mean latency.
    public func summary(of node: NodeID) -> Summary {
        var summary = Summary()
        var latencyTotal = 0.0
        var latencySkills = 0
        for (key, record) in records where key.node == node {
            summary.samples += record.samples
            summary.successes += record.successes
            for (outcome, count) in record.counts { summary.counts[outcome, default: 0] += count }
            if let latency = record.latencyMs {
                latencyTotal += latency
                latencySkills += 1
            }
        }
        summary.latencyMs = latencySkills == 0 ? nil : latencyTotal / Double(latencySkills)
        return summary
    }

    public struct Summary: Sendable, Equatable {
        public var samples = 0
        public var successes = 0
        /// Mean of the skills' latency averages, in milliseconds.
        public var latencyMs: Double?
        public var counts: [ExperienceOutcome: Int] = [:]
        public var successRate: Double? { samples == 0 ? nil : Double(successes) / Double(samples) }
    }
}

// MARK: Surviving a restart

extension Experience {
    /// What ``Experience`` holds, in wall-clock milliseconds (a continuous-clock instant means
    /// nothing after a restart), for the node's store. Restored, every age is what it was when
    /// saved plus the time the node was down.
    public struct Snapshot: Codable, Sendable, Equatable {
        public struct Entry: Codable, Sendable, Equatable {
            public var node: String
            public var skill: String
            public var recent: [Bool]
            public var latencyMs: Double?
            public var positive: Double
            public var negative: Double
            public var updatedAtMs: Int64
            public var counts: [String: Int]
            /// Absent in snapshots taken before verification counted confirmed results.
            public var verified: Int?
            /// Absent in snapshots taken before anchored confirmations were counted.
            public var anchored: Int?
        }

        public var records: [Entry]
        /// Node ID (hex) → when it last returned a wrong result, wall-clock ms.
        public var convictions: [String: Int64]
    }

    /// The experience as of `now` (`nowMs` on the wall clock).
    public func snapshot(now: ContinuousClock.Instant, nowMs: Int64) -> Snapshot {
        func ms(_ instant: ContinuousClock.Instant) -> Int64 { nowMs - instant.duration(to: now).milliseconds }
        return Snapshot(
            records: records.map { key, record in
                Snapshot.Entry(
                    node: key.node.hex, skill: key.skill.name, recent: record.recent, latencyMs: record.latencyMs,
                    positive: record.positive, negative: record.negative, updatedAtMs: ms(record.updatedAt),
                    counts: Dictionary(uniqueKeysWithValues: record.counts.map { ($0.key.rawValue, $0.value) }),
                    verified: record.verified, anchored: record.anchored)
            }.sorted { ($0.node, $0.skill) < ($1.node, $1.skill) },
            convictions: Dictionary(uniqueKeysWithValues: convictions.map { ($0.key.hex, ms($0.value)) }))
    }

    /// Experience restored from `snapshot`, taken at an earlier wall-clock time, as of `now`
    /// (`nowMs`). Entries that do not parse (a hand-edited store) are skipped; the bounds hold.
    public init(settings: Settings = .default, restoring snapshot: Snapshot, now: ContinuousClock.Instant, nowMs: Int64) {
        self.init(settings: settings)
        func instant(_ ms: Int64) -> ContinuousClock.Instant { now.advanced(by: .milliseconds(min(0, ms - nowMs))) }
        for entry in snapshot.records.sorted(by: { $0.updatedAtMs > $1.updatedAtMs }).prefix(settings.maxRecords) {
            guard let node = try? NodeID(hex: entry.node), let skill = try? SkillID(entry.skill) else { continue }
            var record = Record(updatedAt: instant(entry.updatedAtMs))
            record.recent = Array(entry.recent.suffix(settings.window))
            record.latencyMs = entry.latencyMs.map { max(0, $0) }
            record.positive = max(0, entry.positive)
            record.negative = max(0, entry.negative)
            for (name, count) in entry.counts {
                if let outcome = ExperienceOutcome(rawValue: name) { record.counts[outcome] = max(0, count) }
            }
            record.verified = max(0, entry.verified ?? 0)
            record.anchored = min(max(0, entry.anchored ?? 0), record.verified)
            records[Key(node: node, skill: skill)] = record
        }
        for (hex, atMs) in snapshot.convictions.sorted(by: { $0.value > $1.value }).prefix(settings.maxRecords) {
            guard let node = try? NodeID(hex: hex) else { continue }
            convictions[node] = instant(atMs)
        }
    }

    /// Remembers a conviction proven by stored evidence (`atMs` on the wall clock), as of `now`.
    public mutating func restoreConviction(of node: NodeID, atMs: Int64, now: ContinuousClock.Instant, nowMs: Int64) {
        let at = now.advanced(by: .milliseconds(min(0, atMs - nowMs)))
        convictions[node] = max(convictions[node] ?? at, at)
    }
}
