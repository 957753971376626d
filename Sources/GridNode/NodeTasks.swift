import Synchronization

/// The owner of every short task the shell starts from synchronous code — hops onto an actor,
/// timers, local runs, sends, runs of peers' tasks: each runs as a child of one task group under
/// the node's `Service`, so all of them end when the node stops.
final class NodeTasks: Sendable {
    typealias Work = @Sendable () async -> Void
    private let work: AsyncStream<Work>
    private let continuation: AsyncStream<Work>.Continuation
    /// Handles whose body has not started, and whether the group has ended (then a body that
    /// never ran counts as ended).
    private let pending = Mutex((closed: false, handles: [ObjectIdentifier: Handle]()))

    init() {
        (work, continuation) = AsyncStream.makeStream(of: Work.self)
    }

    /// Runs `body` as a child of the node's group (once ``run()`` runs; dropped after it ended).
    func spawn(_ body: @escaping Work) {
        continuation.yield(body)
    }

    /// Runs `body` as a child of the node's group, with a handle to cancel it on its own or to wait
    /// for its end. A body dropped because the node has stopped counts as ended.
    @discardableResult
    func spawnHandle(_ body: @escaping Work) -> Handle {
        let handle = Handle()
        let key = ObjectIdentifier(handle)
        let open = pending.withLock { pending -> Bool in
            guard !pending.closed else { return false }
            pending.handles[key] = handle
            return true
        }
        guard open else {
            handle.ended()
            return handle
        }
        let result = continuation.yield { [self] in
            _ = pending.withLock { $0.handles.removeValue(forKey: key) }
            await withTaskGroup(of: Void.self) { both in
                both.addTask { await body() }
                both.addTask { await handle.cancellation() }
                await both.next()  // the body ended, or the handle was cancelled
                both.cancelAll()
            }
            handle.ended()
        }
        if case .terminated = result { handle.ended() }
        return handle
    }

    /// The group: runs every spawned body until the node stops, then cancels those still running.
    func run() async {
        await withDiscardingTaskGroup { group in
            for await body in work {
                group.addTask { await body() }
            }
            group.cancelAll()
        }
        continuation.finish()
        let unstarted = pending.withLock { pending -> [Handle] in
            pending.closed = true
            defer { pending.handles = [:] }
            return Array(pending.handles.values)
        }
        for handle in unstarted { handle.ended() }
    }

    /// One spawned body: ``cancel()`` cancels it (as `Task.cancel` would), ``wait()`` returns once it ended.
    final class Handle: Sendable {
        private struct State {
            var cancelled = false
            var ended = false
            var canceller: CheckedContinuation<Void, Never>?
            var waiters: [CheckedContinuation<Void, Never>] = []
        }

        private let state = Mutex(State())

        func cancel() {
            let canceller = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.cancelled = true
                defer { state.canceller = nil }
                return state.canceller
            }
            canceller?.resume()
        }

        /// Returns once the body has ended (at once if it has).
        func wait() async {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.ended { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        }

        /// Returns when ``cancel()`` is called, or when the waiting task itself is cancelled.
        fileprivate func cancellation() async {
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let now = state.withLock { state -> Bool in
                        if state.cancelled || Task.isCancelled { return true }
                        state.canceller = continuation
                        return false
                    }
                    if now { continuation.resume() }
                }
            } onCancel: {
                let canceller = state.withLock { state -> CheckedContinuation<Void, Never>? in
                    defer { state.canceller = nil }
                    return state.canceller
                }
                canceller?.resume()
            }
        }

        fileprivate func ended() {
            let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.ended = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }
}
