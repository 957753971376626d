/// When an open-loop load run's submissions are due: the n-th (from 0) at `start + n / rate`, for
/// those due before `start + duration`.
///
/// The shell sleeps until ``nextDue``, then asks ``release(now:inFlight:)`` what to send. A
/// submission is due whether or not the node has answered the earlier ones (open loop: a slow node
/// does not slow the offered load down); only more than `maxInFlight` tasks in flight make the
/// pacer skip the submissions beyond, so a node that cannot keep up costs the generator a bounded
/// number of waiting tasks, and the skipped ones are counted.
public struct LoadPacer: Sendable {
    public let ratePerSecond: Double
    public let start: ContinuousClock.Instant
    public let duration: Duration
    public let maxInFlight: Int
    /// Submissions released so far, sent or skipped.
    public private(set) var released = 0
    /// All submissions of the run: those due before `start + duration`.
    public let total: Int

    /// What to do at one instant.
    public struct Release: Sendable, Equatable {
        /// The instants the submissions to send now were due, earliest first (for the latency
        /// from the intended instant, as an open loop measures it).
        public var due: [ContinuousClock.Instant]
        /// Submissions due now that would take more than `maxInFlight` tasks in flight: not sent.
        public var skipped: Int

        public init(due: [ContinuousClock.Instant], skipped: Int) {
            self.due = due
            self.skipped = skipped
        }
    }

    public init(ratePerSecond: Double, start: ContinuousClock.Instant, duration: Duration, maxInFlight: Int) {
        self.ratePerSecond = ratePerSecond
        self.start = start
        self.duration = duration
        self.maxInFlight = maxInFlight
        // The n-th is due before the end when n / rate < duration, so there are about
        // rate × duration; the floating-point product is then set right by the due instants
        // themselves (0.1/s for 30 s is 3.0000000000000004, yet 3 submissions: at 0, 10, 20 s).
        var total = max(0, Int((ratePerSecond * Self.seconds(duration)).rounded(.up)))
        let end = start + duration
        func due(_ n: Int) -> ContinuousClock.Instant { start + Self.offset(n, ratePerSecond) }
        while total > 0, due(total - 1) >= end { total -= 1 }
        while due(total) < end { total += 1 }
        self.total = total
    }

    static func offset(_ n: Int, _ ratePerSecond: Double) -> Duration {
        .nanoseconds(Int64((Double(n) * 1e9 / ratePerSecond).rounded()))
    }

    /// The instant the n-th submission (from 0) is due, to the nanosecond.
    public func dueInstant(_ n: Int) -> ContinuousClock.Instant {
        start + Self.offset(n, ratePerSecond)
    }

    /// When the next submission is due; nil when all have been released.
    public var nextDue: ContinuousClock.Instant? {
        released < total ? dueInstant(released) : nil
    }

    /// Whether every submission has been released: the run sends no more.
    public var isFinished: Bool { released >= total }

    /// Releases the submissions due at or before `now`: as many as fit under `maxInFlight` with
    /// `inFlight` tasks already out are sent, the rest skipped.
    public mutating func release(now: ContinuousClock.Instant, inFlight: Int) -> Release {
        var due: [ContinuousClock.Instant] = []
        var skipped = 0
        let room = max(0, maxInFlight - inFlight)
        while released < total {
            let instant = dueInstant(released)
            guard instant <= now else { break }
            if due.count < room { due.append(instant) } else { skipped += 1 }
            released += 1
        }
        return Release(due: due, skipped: skipped)
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
