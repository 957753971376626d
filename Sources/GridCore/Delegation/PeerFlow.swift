/// Adaptive flow per peer: how many of this node's tasks each peer may hold at once (its in-flight
/// window), and how long it gets to ack one (from the acks it gave).
///
/// The window follows additive increase, multiplicative decrease: it starts at
/// ``Settings/initialWindow``, grows by one for each task the peer completes (success or
/// application error) up to ``Settings/maxWindow``, and halves, down to ``Settings/minWindow``,
/// each time a task fails on it or times out. So it grows while the peer's success rate is high
/// and shrinks fast when it falls. The ack timeout is the 95th percentile of the peer's last
/// ``Settings/samples`` ack times × ``Settings/ackTimeoutFactor``, clamped to
/// [``Settings/minAckTimeout``, ``Settings/maxAckTimeout``]; with fewer than
/// ``Settings/minSamples`` samples the retry policy's default applies. The result timeout of a
/// (peer, skill) is its p99 result time (from request to result) × ``Settings/resultTimeoutFactor``,
/// never below ``Settings/minResultTimeout``; a task whose result is that late is tried elsewhere
/// while its deadline allows. Until ``Settings/minSamples`` results are known, only the deadline
/// applies; a factor of 0 turns result timeouts off.
///
/// A peer that refuses a task as busy (or says its queue was full) is not failing: its window is
/// left as it is, and it counts as full while it holds at least as many of this node's tasks as it
/// did then, for at most ``Settings/busyBackoff`` — so the next task goes to it once one of ours
/// there ends, or after the back-off when it was busy with others' work.
public struct PeerFlow: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Default 4, 1 and 64.
        public var initialWindow: Int
        public var minWindow: Int
        public var maxWindow: Int
        /// Default 3 × the p95 ack time.
        public var ackTimeoutFactor: Double
        /// Defaults 250 ms and 10 s.
        public var minAckTimeout: Duration
        public var maxAckTimeout: Duration
        /// Ack times kept per peer (default 64) and needed before they set the timeout (default 8).
        public var samples: Int
        public var minSamples: Int
        /// Defaults 4 × the p99 result time, and at least 10 s.
        public var resultTimeoutFactor: Double
        public var minResultTimeout: Duration
        /// How long a peer that refused as busy is held back at most. Default 500 ms.
        public var busyBackoff: Duration

        public init(
            initialWindow: Int = 4, minWindow: Int = 1, maxWindow: Int = 64, ackTimeoutFactor: Double = 3,
            minAckTimeout: Duration = .milliseconds(250), maxAckTimeout: Duration = .seconds(10), samples: Int = 64,
            minSamples: Int = 8, resultTimeoutFactor: Double = 4, minResultTimeout: Duration = .seconds(10),
            busyBackoff: Duration = .milliseconds(500)
        ) {
            precondition(1 <= minWindow && minWindow <= initialWindow && initialWindow <= maxWindow, "window bounds in order")
            precondition(ackTimeoutFactor > 0 && minAckTimeout > .zero && minAckTimeout <= maxAckTimeout, "timeout bounds in order")
            precondition(samples >= minSamples && minSamples > 0, "enough samples")
            self.initialWindow = initialWindow
            self.minWindow = minWindow
            self.maxWindow = maxWindow
            self.ackTimeoutFactor = ackTimeoutFactor
            self.minAckTimeout = minAckTimeout
            self.maxAckTimeout = maxAckTimeout
            self.samples = samples
            self.minSamples = minSamples
            self.resultTimeoutFactor = max(0, resultTimeoutFactor)
            self.minResultTimeout = minResultTimeout
            self.busyBackoff = busyBackoff
        }

        public static let `default` = Settings()
    }

    private struct Peer {
        var window: Int
        var inFlight = 0
        var ackTimes: [Duration] = []
        var nextSample = 0
        /// After a busy refusal: full while it holds `limit` or more of our tasks, until `until`.
        var busy: (limit: Int, until: ContinuousClock.Instant)?

        func isFull(now: ContinuousClock.Instant) -> Bool {
            if inFlight >= window { return true }
            guard let busy, now < busy.until else { return false }
            return inFlight >= busy.limit
        }
    }

    public let settings: Settings
    private var peers: [NodeID: Peer] = [:]
    private struct ResultKey: Hashable {
        var peer: NodeID
        var skill: SkillID
    }
    /// Recent result times per (peer, skill), oldest overwritten first; at most 10000 keys.
    private var resultTimes: [ResultKey: (times: [Duration], next: Int)] = [:]

    public init(settings: Settings = .default) {
        self.settings = settings
    }

    public func window(of peer: NodeID) -> Int { peers[peer]?.window ?? settings.initialWindow }
    public func inFlight(on peer: NodeID) -> Int { peers[peer]?.inFlight ?? 0 }
    /// Tasks in flight per peer, for the router.
    public var inFlight: [NodeID: Int] { peers.compactMapValues { $0.inFlight > 0 ? $0.inFlight : nil } }
    /// Peers whose window is full, or that refused as busy lately and hold as many of our tasks still.
    public func full(now: ContinuousClock.Instant) -> Set<NodeID> { Set(peers.filter { $0.value.isFull(now: now) }.keys) }

    /// `peer` had no room for a task (a busy refusal, or a full queue): hold back from it until one
    /// of our tasks there ends, or ``Settings/busyBackoff`` passes. Its window is unchanged.
    public mutating func refusedBusy(by peer: NodeID, now: ContinuousClock.Instant) {
        var state = peers[peer] ?? Peer(window: settings.initialWindow)
        state.busy = (state.inFlight, now.advanced(by: settings.busyBackoff))
        peers[peer] = state
    }

    /// A task was sent to `peer`.
    public mutating func sent(to peer: NodeID) {
        peers[peer, default: Peer(window: settings.initialWindow)].inFlight += 1
    }

    /// A task sent to `peer` is no longer held by it (answered, refused, lost, cancelled).
    public mutating func ended(on peer: NodeID) {
        guard var state = peers[peer] else { return }
        state.inFlight = max(0, state.inFlight - 1)
        peers[peer] = state
    }

    /// How a task on `peer` went: completions widen its window, failures halve it.
    public mutating func record(_ outcome: ExperienceOutcome, peer: NodeID) {
        var state = peers[peer] ?? Peer(window: settings.initialWindow)
        switch outcome {
        case .success, .applicationError: state.window = min(settings.maxWindow, state.window + 1)
        case .failure, .timeout, .wrongResult: state.window = max(settings.minWindow, state.window / 2)
        case .refusal: break
        }
        peers[peer] = state
    }

    /// `peer` acked a task `after` it was sent.
    public mutating func acked(by peer: NodeID, after: Duration) {
        var state = peers[peer] ?? Peer(window: settings.initialWindow)
        if state.ackTimes.count < settings.samples {
            state.ackTimes.append(after)
        } else {
            state.ackTimes[state.nextSample] = after
        }
        state.nextSample = (state.nextSample + 1) % settings.samples
        peers[peer] = state
    }

    /// The time `peer` gets to ack, or nil while too few of its acks are known.
    public func ackTimeout(for peer: NodeID) -> Duration? {
        guard let times = peers[peer]?.ackTimes, times.count >= settings.minSamples else { return nil }
        let sorted = times.sorted()
        let p95 = sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.95).rounded(.up)) - 1)]
        let scaled = Duration.nanoseconds(Int64(Double(p95.nanoseconds) * settings.ackTimeoutFactor))
        return min(max(scaled, settings.minAckTimeout), settings.maxAckTimeout)
    }

    /// `peer` returned a result for a task of `skill` `after` the request was sent.
    public mutating func resulted(by peer: NodeID, skill: SkillID, after: Duration) {
        let key = ResultKey(peer: peer, skill: skill)
        if resultTimes[key] == nil, resultTimes.count >= 10_000 { resultTimes.removeAll() }  // a crude bound: start over
        var entry = resultTimes[key] ?? ([], 0)
        if entry.times.count < settings.samples { entry.times.append(after) } else { entry.times[entry.next] = after }
        entry.next = (entry.next + 1) % settings.samples
        resultTimes[key] = entry
    }

    /// The time `peer` gets to return a result for `skill`, or nil (only the deadline applies).
    public func resultTimeout(for peer: NodeID, skill: SkillID) -> Duration? {
        guard settings.resultTimeoutFactor > 0, let times = resultTimes[ResultKey(peer: peer, skill: skill)]?.times,
            times.count >= settings.minSamples
        else { return nil }
        let sorted = times.sorted()
        let p99 = sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)]
        return max(.nanoseconds(Int64(Double(p99.nanoseconds) * settings.resultTimeoutFactor)), settings.minResultTimeout)
    }

    /// Result timeouts for `skill`, for every peer with enough results.
    public func resultTimeouts(skill: SkillID) -> [NodeID: Duration] {
        var timeouts: [NodeID: Duration] = [:]
        for key in resultTimes.keys where key.skill == skill {
            if let timeout = resultTimeout(for: key.peer, skill: skill) { timeouts[key.peer] = timeout }
        }
        return timeouts
    }

    /// Ack timeouts for every peer with enough samples.
    public var ackTimeouts: [NodeID: Duration] {
        var timeouts: [NodeID: Duration] = [:]
        for peer in peers.keys {
            if let timeout = ackTimeout(for: peer) { timeouts[peer] = timeout }
        }
        return timeouts
    }
}
