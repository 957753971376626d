import NIOConcurrencyHelpers

/// Holds every waiter until opened; for tests that hold a task at a point of their choosing.
public final class Latch: Sendable {
    private let state = NIOLockedValueBox<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    public init() {}

    public func wait() async {
        await withCheckedContinuation { continuation in
            let open = state.withLockedValue { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
    }

    public func open() {
        let waiters = state.withLockedValue { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Set once, read from anywhere: that something has happened.
public final class Flag: Sendable {
    private let raised = NIOLockedValueBox(false)

    public init() {}

    public func raise() { raised.withLockedValue { $0 = true } }
    public var isRaised: Bool { raised.withLockedValue { $0 } }
}
