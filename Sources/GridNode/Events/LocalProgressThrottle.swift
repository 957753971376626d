import NIOConcurrencyHelpers

/// Bounds the progress events of one task run here: at most one per ``interval`` (the rest are
/// dropped; the final outcome follows anyway).
final class LocalProgressThrottle: Sendable {
    static let interval: Duration = .milliseconds(250)
    private let last = NIOLockedValueBox<ContinuousClock.Instant?>(nil)

    func admit(now: ContinuousClock.Instant = .now) -> Bool {
        last.withLockedValue { last in
            if let previous = last, previous.duration(to: now) < Self.interval { return false }
            last = now
            return true
        }
    }
}
