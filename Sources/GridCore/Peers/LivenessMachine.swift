/// How one peer's liveness is judged (SWIM-style): pinged every `pingInterval`; a ping unanswered
/// within `pingTimeout` is missed; `suspectAfterMissed` misses in a row make the peer *suspect*;
/// a suspect peer heard from again is alive, one not heard from for `suspicionTimeout` is *dead*.
/// So one slow reply never kills a peer: death takes at least
/// `pingInterval × suspectAfterMissed + suspicionTimeout` of silence (7 s by default).
public struct LivenessSettings: Sendable, Equatable {
    public var pingInterval: Duration = .seconds(1)
    public var pingTimeout: Duration = .seconds(1)
    public var suspectAfterMissed = 2
    public var suspicionTimeout: Duration = .seconds(5)
    /// Weight of the newest round-trip sample in the RTT average.
    public var rttSmoothing = 0.2

    public static let `default` = LivenessSettings()

    public init() {}

    /// The shortest silence after which a peer is declared dead.
    public var deathAfterSilence: Duration {
        pingInterval * suspectAfterMissed + suspicionTimeout
    }
}

/// One peer's liveness, as a pure state machine: the connection feeds it ticks, pongs and any
/// other frame heard, and carries out its directives (send a ping, drop the peer as dead).
public struct LivenessMachine: Sendable {
    public enum State: Sendable, Equatable {
        case alive
        case suspect(since: ContinuousClock.Instant)
        case dead
    }

    public enum Directive: Sendable, Equatable {
        case sendPing(nonce: UInt64)
        case becameSuspect
        case becameAlive
        /// The peer is dead: close the connection and tell the rest of the node at once.
        case declareDead
    }

    public let settings: LivenessSettings
    public private(set) var state: State = .alive
    /// Smoothed round-trip time, once one pong has come back.
    public private(set) var rtt: Duration?
    public private(set) var lastHeard: ContinuousClock.Instant
    private var outstanding: (nonce: UInt64, sentAt: ContinuousClock.Instant)?
    private var missed = 0

    public init(settings: LivenessSettings = .default, now: ContinuousClock.Instant) {
        self.settings = settings
        lastHeard = now
    }

    /// The periodic timer fired (every `pingInterval`).
    public mutating func tick(now: ContinuousClock.Instant, using rng: inout some RandomNumberGenerator) -> [Directive] {
        guard state != .dead else { return [] }
        var directives: [Directive] = []
        if let ping = outstanding, ping.sentAt.duration(to: now) >= settings.pingTimeout {
            outstanding = nil
            missed += 1
            if missed >= settings.suspectAfterMissed, state == .alive {
                state = .suspect(since: now)
                directives.append(.becameSuspect)
            }
        }
        if case .suspect(let since) = state, since.duration(to: now) >= settings.suspicionTimeout,
            lastHeard.duration(to: now) >= settings.suspicionTimeout
        {
            state = .dead
            return directives + [.declareDead]
        }
        if outstanding == nil {
            let nonce = rng.next() as UInt64
            outstanding = (nonce, now)
            directives.append(.sendPing(nonce: nonce))
        }
        return directives
    }

    /// A Pong arrived. One answering the outstanding ping gives a round-trip sample.
    public mutating func pongReceived(nonce: UInt64, now: ContinuousClock.Instant) -> [Directive] {
        if let ping = outstanding, ping.nonce == nonce {
            outstanding = nil
            let sample = ping.sentAt.duration(to: now)
            if let previous = rtt {
                let alpha = settings.rttSmoothing
                rtt = .nanoseconds(Int64(alpha * Double(sample.nanoseconds) + (1 - alpha) * Double(previous.nanoseconds)))
            } else {
                rtt = sample
            }
        }
        return heard(now: now)
    }

    /// Any frame from the peer: it is alive, whatever the pings say.
    public mutating func heard(now: ContinuousClock.Instant) -> [Directive] {
        lastHeard = now
        guard state != .dead else { return [] }
        missed = 0
        guard case .suspect = state else { return [] }
        state = .alive
        return [.becameAlive]
    }

    public var stateName: String {
        switch state {
        case .alive: "alive"
        case .suspect: "suspect"
        case .dead: "dead"
        }
    }
}
