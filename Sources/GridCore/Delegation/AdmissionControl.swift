/// The receiving side's rules for tasks from peers, before the executor's capacity check: the
/// requester must be trusted enough, must not send faster than its rate, and may hold no more than
/// its fair share of this node's places while others want them too.
///
/// **Fair share.** With `places` = tasks this node runs at once plus the ones it queues, a requester
/// may hold (admitted, not yet finished) at most ⌈places / n⌉ tasks, where n counts the requesters
/// holding tasks here now, itself included. A lone requester may fill the node; two split it.
public struct AdmissionControl: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Least trust score (0...1) a requester needs. Default 0: every requester.
        public var minTrust: Double
        /// Task requests per second one requester may send (bursts up to `burst`). Default 200 and 400.
        public var ratePerRequester: Double
        public var burst: Double
        /// Requesters whose rate is tracked at most; the least recently seen is forgotten. Default 10000.
        public var maxRequesters: Int

        public init(minTrust: Double = 0, ratePerRequester: Double = 200, burst: Double = 400, maxRequesters: Int = 10_000) {
            precondition(ratePerRequester > 0 && burst >= 1 && maxRequesters > 0, "a rate, a burst and room")
            self.minTrust = minTrust
            self.ratePerRequester = ratePerRequester
            self.burst = burst
            self.maxRequesters = maxRequesters
        }

        public static let `default` = Settings()
    }

    public enum Refusal: Sendable, Equatable {
        /// The requester's trust is below the node's minimum.
        case untrusted(String)
        /// Over its rate, or over its fair share: it should retry later or elsewhere.
        case busy(String)
    }

    public let settings: Settings
    private var buckets: [NodeID: (bucket: TokenBucket, lastSeen: ContinuousClock.Instant)] = [:]
    /// Tasks admitted and not finished, per requester.
    public private(set) var held: [NodeID: Int] = [:]

    public init(settings: Settings = .default) {
        self.settings = settings
    }

    /// Whether a task from `requester` (trust score `trust`) may be admitted, with `places` places
    /// in all on this node. On success the task counts as held until ``finished(_:)``.
    public mutating func admit(
        _ requester: NodeID, trust: Double, places: Int, now: ContinuousClock.Instant
    ) -> Refusal? {
        guard trust >= settings.minTrust else {
            return .untrusted(
                "this node admits requesters with trust of at least \(Self.percent(settings.minTrust)); yours is \(Self.percent(trust)) here: do good work for it, or ask its operator to pin your key")
        }
        var entry = buckets[requester] ?? (TokenBucket(ratePerSecond: settings.ratePerRequester, burst: settings.burst), now)
        let allowed = entry.bucket.take(now: now)
        entry.lastSeen = now
        if buckets[requester] == nil, buckets.count >= settings.maxRequesters,
            let stalest = buckets.min(by: { $0.value.lastSeen < $1.value.lastSeen })?.key
        {
            buckets[stalest] = nil
        }
        buckets[requester] = entry
        guard allowed else {
            return .busy("over \(Int(settings.ratePerRequester)) task requests per second from one requester; slow down and retry")
        }
        let holders = held.count + (held[requester] == nil ? 1 : 0)
        let share = max(1, (places + holders - 1) / holders)
        let mine = held[requester] ?? 0
        guard mine < share else {
            return .busy("you hold \(mine) of this node's \(places) places, your fair share while \(holders) requesters want them; retry later or elsewhere")
        }
        held[requester] = mine + 1
        return nil
    }

    /// A task of `requester` admitted earlier has finished (or will not run).
    public mutating func finished(_ requester: NodeID) {
        guard let mine = held[requester] else { return }
        held[requester] = mine > 1 ? mine - 1 : nil
    }

    static func percent(_ value: Double) -> String {
        "\(Int((value * 100).rounded()))%"
    }
}
