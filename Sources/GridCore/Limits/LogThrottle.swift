/// One log line per `interval` for a kind of event that can come in floods (refused
/// connections): the first event of a quiet spell is logged at once; those within `interval` of
/// the last line logged are only counted, and the next line says how many there were. So a
/// flood costs a line per interval, and nothing is hidden. Pure: the caller gives the instant.
public struct LogThrottle: Sendable {
    public let interval: Duration
    private var lastLogged: ContinuousClock.Instant?
    private var suppressed = 0

    /// Ten seconds, as the hardening issue asks: "N connections refused in the last 10 s".
    public static let defaultInterval = Duration.seconds(10)

    public init(interval: Duration = Self.defaultInterval) {
        self.interval = interval
    }

    /// Whether to log this event, and how many were left unlogged since the last line.
    public enum Decision: Equatable, Sendable {
        case silent
        case log(suppressedBefore: Int)
    }

    public mutating func record(now: ContinuousClock.Instant) -> Decision {
        if let lastLogged, lastLogged.duration(to: now) < interval {
            suppressed += 1
            return .silent
        }
        lastLogged = now
        defer { suppressed = 0 }
        return .log(suppressedBefore: suppressed)
    }
}
