/// A circuit breaker per peer: after ``Settings/failureThreshold`` failures in a row a peer gets
/// no work for ``Settings/cooldown``; then one trial task may go to it (half-open). A success closes
/// the circuit; a failure of the trial opens it for another cooldown.
///
/// Failures are tasks the peer lost, failed for a reason of its own or let time out; refusals
/// (busy is honest) and application errors (the skill ran) do not count.
public struct CircuitBreakers: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Failures in a row that open a peer's circuit. Default 5.
        public var failureThreshold: Int
        /// How long an open circuit stays open before a trial. Default 30 s.
        public var cooldown: Duration

        public init(failureThreshold: Int = 5, cooldown: Duration = .seconds(30)) {
            precondition(failureThreshold > 0 && cooldown > .zero, "a threshold and a cooldown")
            self.failureThreshold = failureThreshold
            self.cooldown = cooldown
        }

        public static let `default` = Settings()
    }

    public enum State: Sendable, Equatable {
        case closed(failures: Int)
        case open(until: ContinuousClock.Instant)
        /// The cooldown passed: one trial may go; `trialInFlight` once it has.
        case halfOpen(trialInFlight: Bool)

        public var name: String {
            switch self {
            case .closed: "closed"
            case .open: "open"
            case .halfOpen: "half-open"
            }
        }
    }

    public let settings: Settings
    private var states: [NodeID: State] = [:]

    public init(settings: Settings = .default) {
        self.settings = settings
    }

    /// `peer`'s circuit as of `now` (an open one whose cooldown passed is half-open).
    public func state(of peer: NodeID, now: ContinuousClock.Instant) -> State {
        switch states[peer] ?? .closed(failures: 0) {
        case .open(let until) where now >= until: .halfOpen(trialInFlight: false)
        case let state: state
        }
    }

    /// Whether `peer` may get no work now: open, or half-open with its trial under way.
    public func isOpen(_ peer: NodeID, now: ContinuousClock.Instant) -> Bool {
        switch state(of: peer, now: now) {
        case .closed, .halfOpen(trialInFlight: false): false
        case .open, .halfOpen(trialInFlight: true): true
        }
    }

    /// The peers that may get no work now.
    public func openPeers(now: ContinuousClock.Instant) -> Set<NodeID> {
        Set(states.keys.filter { isOpen($0, now: now) })
    }

    /// A task was sent to `peer`: if its circuit is half-open, this is the trial.
    public mutating func sent(to peer: NodeID, now: ContinuousClock.Instant) {
        if case .halfOpen(false) = state(of: peer, now: now) { states[peer] = .halfOpen(trialInFlight: true) }
    }

    /// How a task on `peer` went, as experience: feeds the breaker.
    public mutating func record(_ outcome: ExperienceOutcome, peer: NodeID, now: ContinuousClock.Instant) {
        switch outcome {
        case .success, .applicationError:
            states[peer] = nil  // closed, no failures
        case .failure, .timeout:
            switch state(of: peer, now: now) {
            case .closed(let failures):
                states[peer] = failures + 1 >= settings.failureThreshold
                    ? .open(until: now.advanced(by: settings.cooldown)) : .closed(failures: failures + 1)
            case .halfOpen:
                states[peer] = .open(until: now.advanced(by: settings.cooldown))
            case .open:
                break  // a late failure of work sent before it opened: the cooldown stands
            }
        case .refusal, .wrongResult:
            break
        }
    }
}

// MARK: Restarts, of this node and of a peer

extension CircuitBreakers {
    /// The circuits that are not plainly closed, in wall-clock milliseconds, for the node's store:
    /// node ID (hex) → failures in a row (closed), or when an open one may try again.
    public struct Snapshot: Codable, Sendable, Equatable {
        public var failures: [String: Int]
        public var openUntilMs: [String: Int64]
    }

    public func snapshot(now: ContinuousClock.Instant, nowMs: Int64) -> Snapshot {
        var snapshot = Snapshot(failures: [:], openUntilMs: [:])
        for (peer, state) in states {
            switch state {
            case .closed(let failures): snapshot.failures[peer.hex] = failures
            case .open(let until): snapshot.openUntilMs[peer.hex] = nowMs + now.duration(to: until).milliseconds
            case .halfOpen: snapshot.openUntilMs[peer.hex] = nowMs  // tries again at once
            }
        }
        return snapshot
    }

    /// Breakers restored from `snapshot`, as of `now` (`nowMs`): an open circuit keeps what was
    /// left of its cooldown (never more than a cooldown).
    public init(settings: Settings = .default, restoring snapshot: Snapshot, now: ContinuousClock.Instant, nowMs: Int64) {
        self.init(settings: settings)
        for (hex, failures) in snapshot.failures {
            guard let peer = try? NodeID(hex: hex), failures > 0 else { continue }
            states[peer] = .closed(failures: min(failures, settings.failureThreshold - 1))
        }
        for (hex, untilMs) in snapshot.openUntilMs {
            guard let peer = try? NodeID(hex: hex) else { continue }
            let left = Duration.milliseconds(max(0, untilMs - nowMs))
            states[peer] = .open(until: now.advanced(by: min(left, settings.cooldown)))
        }
    }

    /// `peer` connected again (it may have restarted, healthy): an open circuit goes half-open at
    /// once, so one trial task may show it works instead of it waiting out the whole cooldown.
    public mutating func peerReconnected(_ peer: NodeID, now: ContinuousClock.Instant) {
        if case .open = state(of: peer, now: now) { states[peer] = .halfOpen(trialInFlight: false) }
    }
}
