import GridCore
import GridLocalAPI
import NIOConcurrencyHelpers

/// The events of the tasks in flight on this node, for `task.watch` and `task.submit` with
/// `events`: a bounded history per task (the first event always kept), and the watchers to tell.
/// A task's history goes once its final event is recorded.
final class TaskEventHub: Sendable {
    /// Events kept per task (the first, `submitted`, always among them).
    static let historyLimit = 64
    /// Events a slow watcher may fall behind by before older ones are dropped for it.
    static let watcherBuffer = 256

    private struct Watched {
        var history: [TaskEventView] = []
        var watchers: [UInt64: AsyncStream<TaskEventView>.Continuation] = [:]
    }

    private struct State {
        var tasks: [TaskID: Watched] = [:]
        var lastWatcher: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())

    /// Records `event` of `task` and tells its watchers; a final event ends the task's events.
    func record(_ task: TaskID, _ event: TaskEventView) {
        let watchers = state.withLockedValue { state -> [AsyncStream<TaskEventView>.Continuation] in
            if event.isFinal {
                return state.tasks.removeValue(forKey: task).map { Array($0.watchers.values) } ?? []
            }
            var watched = state.tasks[task] ?? Watched()
            if watched.history.count >= Self.historyLimit { watched.history.remove(at: 1) }
            watched.history.append(event)
            state.tasks[task] = watched
            return Array(watched.watchers.values)
        }
        for watcher in watchers {
            watcher.yield(event)
            if event.isFinal { watcher.finish() }
        }
    }

    /// The events of `task` so far, then each new one; ends after the final one. Nil when the task
    /// has no events in flight (it ended, or never ran here) — unless `startingNow`, for a task
    /// about to be submitted (``forget(_:)`` it if the submission fails).
    func watch(_ task: TaskID, startingNow: Bool = false) -> AsyncStream<TaskEventView>? {
        let (stream, continuation) = AsyncStream.makeStream(of: TaskEventView.self, bufferingPolicy: .bufferingNewest(Self.watcherBuffer))
        let registered = state.withLockedValue { state -> UInt64? in
            guard var watched = state.tasks[task] ?? (startingNow ? Watched() : nil) else { return nil }
            state.lastWatcher += 1
            for event in watched.history { continuation.yield(event) }
            watched.watchers[state.lastWatcher] = continuation
            state.tasks[task] = watched
            return state.lastWatcher
        }
        guard let registered else { return nil }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLockedValue { _ = $0.tasks[task]?.watchers.removeValue(forKey: registered) }
        }
        return stream
    }

    /// Drops `task`'s events and ends its watchers (a submission that failed before it began).
    func forget(_ task: TaskID) {
        let watchers = state.withLockedValue { $0.tasks.removeValue(forKey: task).map { Array($0.watchers.values) } ?? [] }
        for watcher in watchers { watcher.finish() }
    }

    /// Ends every watcher without a final event: the node is stopping, and each watcher's client is
    /// told so. The histories stay (a task that ends during the drain still records its events).
    func endWatchers() {
        let watchers = state.withLockedValue { state -> [AsyncStream<TaskEventView>.Continuation] in
            var all: [AsyncStream<TaskEventView>.Continuation] = []
            for (task, watched) in state.tasks {
                all += watched.watchers.values
                state.tasks[task]?.watchers = [:]
            }
            return all
        }
        for watcher in watchers { watcher.finish() }
    }

    /// Tasks with events in flight (bounded by the tasks in flight).
    var count: Int { state.withLockedValue { $0.tasks.count } }
}
