import GridCore
import Logging
import Synchronization

/// A ``LogThrottle`` behind a lock, for refusals that come from many connections at once: at
/// most one line per 10 s, saying how many more there were.
final class RefusalLog: Sendable {
    private let what: String
    private let throttle = Mutex(LogThrottle())

    /// `what` names the events in the summary: "local API connections refused".
    init(what: String) {
        self.what = what
    }

    func log(_ logger: Logger, _ message: @autoclosure () -> String, level: Logger.Level = .warning) {
        let now = ContinuousClock.now
        guard case .log(let suppressed) = throttle.withLock({ $0.record(now: now) }) else { return }
        let more = suppressed > 0 ? " (and \(suppressed) more \(what) since the last such line)" : ""
        logger.log(level: level, "\(message())\(more)")
    }
}
