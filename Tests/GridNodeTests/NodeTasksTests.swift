import GridTestKit
import Testing

@testable import GridNode

/// The node's task group: spawned bodies run under it, a handle cancels one alone or waits for
/// its end, and the group's end ends them all.
@Suite struct NodeTasksTests {
    @Test func aHandleCancelsItsBodyAloneAndWaitsForItsEnd() async {
        let tasks = NodeTasks()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await tasks.run() }
            let cancelled = Latch()
            let other = Latch()
            let long = tasks.spawnHandle {
                while !Task.isCancelled { await Task.yield() }
                cancelled.open()
            }
            tasks.spawnHandle { other.open() }.cancel()  // cancelled before or after it ran: it ends
            let sibling = tasks.spawnHandle { await other.wait() }
            long.cancel()
            await long.wait()
            await cancelled.wait()
            await sibling.wait()
            group.cancelAll()
        }
    }

    @Test func theGroupsEndEndsEveryBodyAndLaterOnesCountAsEnded() async {
        let tasks = NodeTasks()
        let stopped = Latch()
        let runner = Task { await tasks.run() }
        let forever = tasks.spawnHandle {
            while !Task.isCancelled { await Task.yield() }
            stopped.open()
        }
        runner.cancel()
        await runner.value
        await forever.wait()
        await stopped.wait()
        await tasks.spawnHandle { Issue.record("not run after the group ended") }.wait()
    }
}
