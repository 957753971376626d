/// The owner of the short tasks the shell starts from synchronous code (hops onto an actor,
/// progress timers): each runs as a child of one task group under the node's `Service`, so all of
/// them end when the node stops.
final class NodeTasks: Sendable {
    typealias Work = @Sendable () async -> Void
    private let work: AsyncStream<Work>
    private let continuation: AsyncStream<Work>.Continuation

    init() {
        (work, continuation) = AsyncStream.makeStream(of: Work.self)
    }

    /// Runs `body` as a child of the node's group (once ``run()`` runs; dropped after it ended).
    func spawn(_ body: @escaping Work) {
        continuation.yield(body)
    }

    /// The group: runs every spawned body until the node stops, then cancels those still running.
    func run() async {
        await withDiscardingTaskGroup { group in
            for await body in work {
                group.addTask { await body() }
            }
            group.cancelAll()
        }
    }
}
