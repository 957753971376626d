import Foundation
import GRDB
import GridCore
import Synchronization

/// The node's one writer of task state: submissions and outcomes are queued here and committed in
/// batches — everything that arrived while the previous transaction committed goes into the next
/// one (group commit) — by a thread of the journal's own, so SQLite never blocks an actor or the
/// cooperative pool.
///
/// **What is durable when.** A submission's ``submit(_:idempotency:atMs:)`` returns once its batch
/// has committed: the node acknowledges a task only after that. The database runs in WAL mode with
/// `synchronous = NORMAL`, so a committed batch survives a crash or kill of the process; a power
/// cut can take the last batches (those not yet checkpointed and synced). An outcome
/// (``finish(_:)``) is queued and committed with the next batch, usually within milliseconds; until
/// then reads through the journal see it from memory. A crash in that window loses the outcome, so
/// the task resumes at the next start and may run again.
///
/// Each operation in a batch runs in a savepoint of its own: one that fails (a duplicate task ID)
/// fails alone, the rest commit.
public final class TaskJournal: Sendable {
    /// Most operations one transaction commits.
    public static let maxBatch = 512

    private enum Operation: Sendable {
        case submit(TaskRecord, IdempotencyClaim?, CheckedContinuation<SubmitRecording, any Error>)
        case finish(TaskEnding)
        case flush(CheckedContinuation<Void, Never>)
    }

    private struct State: ~Copyable {
        var queue: [Operation] = []
        /// Outcomes queued or being committed, by task ID (hex): what reads see until they are in.
        var ending: [String: TaskEnding] = [:]
        var closed = false
    }

    public let database: GridDatabase
    private let state = Mutex(State())
    private let wake = NSCondition()
    private let stopped = NSCondition()
    private let finished = Mutex(false)
    /// Batches committed, and operations in them (for the logs and benchmarks).
    private let counts = Mutex((batches: 0, operations: 0))

    /// Starts the writer thread; ``close()`` stops it after the last batch.
    public init(database: GridDatabase) {
        self.database = database
        let thread = Thread { [self] in writerLoop() }
        thread.name = "grid-journal"
        thread.start()
    }

    /// Records a task just accepted and returns once it is committed (see the type's notes). With
    /// an idempotency key already on record, that task is returned and nothing is recorded.
    public func submit(_ spec: TaskSpec, idempotency: IdempotencyClaim? = nil, atMs now: Int64) async throws(GridError) -> SubmitRecording {
        let record = TaskRecord(submitted: spec, idempotency: idempotency, atMs: now)
        do {
            return try await withCheckedThrowingContinuation { continuation in
                guard enqueue(.submit(record, idempotency, continuation)) else {
                    return continuation.resume(throwing: GridError(.storeWrite, "the task journal is closed: the node is stopping; submit again once it has restarted"))
                }
            }
        } catch let error as GridError {
            throw error
        } catch {
            throw GridError(.storeWrite, "cannot record task \(spec.id): \(error); check free space in the data directory")
        }
    }

    /// Queues how a task ended; it is committed with the next batch.
    public func finish(_ ending: TaskEnding) {
        state.withLock { $0.ending[ending.id.hex] = ending }
        _ = enqueue(.finish(ending))
    }

    /// Returns once everything queued before it is committed.
    public func flush() async {
        await withCheckedContinuation { continuation in
            if !enqueue(.flush(continuation)) { continuation.resume() }
        }
    }

    /// Commits what is queued and stops the writer. Later submissions are refused.
    public func close() {
        wake.lock()
        let wasClosed = state.withLock { state in
            let was = state.closed
            state.closed = true
            return was
        }
        wake.signal()
        wake.unlock()
        guard !wasClosed else { return }
        stopped.lock()
        while !finished.withLock({ $0 }) { stopped.wait() }
        stopped.unlock()
    }

    public var committed: (batches: Int, operations: Int) { counts.withLock { $0 } }

    // MARK: Reads, with the outcomes not yet committed

    // Each read takes the queued outcomes *before* it reads the store: an outcome committed while
    // the read runs is then applied from memory, never missed.

    /// The task as it stands, its queued outcome applied.
    public func task(_ id: TaskID) async throws(GridError) -> TaskRecord? {
        let ending = state.withLock { $0.ending[id.hex] }
        return try await database.readTask(id).map { Self.overlay($0, ending) }
    }

    /// The tasks with these IDs, by ID (hex), their queued outcomes applied.
    public func tasks(_ ids: [TaskID]) async throws(GridError) -> [String: TaskRecord] {
        let endings = queuedEndings()
        return try await database.readTasks(ids).mapValues { Self.overlay($0, endings[$0.id]) }
    }

    /// A task's attempts: committed ones, or those of its queued outcome.
    public func attempts(of id: TaskID) async throws(GridError) -> [TaskAttemptRecord] {
        if let ending = state.withLock({ $0.ending[id.hex] }) { return ending.attempts }
        return try await database.readAttempts(of: id)
    }

    /// ``GridDatabase/listTasks(status:skill:submittedBeforeMs:limit:)`` with the queued outcomes
    /// applied (a task listed as running whose outcome is queued is shown ended, and left out of a
    /// listing of running tasks).
    public func listTasks(
        status: TaskRecord.Status? = nil, skill: String? = nil, submittedBeforeMs: Int64? = nil, limit: Int
    ) async throws(GridError) -> [TaskRecord] {
        let endings = queuedEndings()
        let records = try await database.readListing(status: status, skill: skill, submittedBeforeMs: submittedBeforeMs, limit: limit)
        return records.map { Self.overlay($0, endings[$0.id]) }.filter { status == nil || $0.status == status }
    }

    private func queuedEndings() -> [String: TaskEnding] {
        state.withLock { $0.ending }
    }

    private static func overlay(_ record: TaskRecord, _ ending: TaskEnding?) -> TaskRecord {
        guard let ending else { return record }
        return ending.applied(to: record)
    }

    // MARK: The writer

    private func enqueue(_ operation: Operation) -> Bool {
        wake.lock()
        defer { wake.unlock() }
        let accepted = state.withLock { state in
            guard !state.closed else { return false }
            state.queue.append(operation)
            return true
        }
        if accepted { wake.signal() }
        return accepted
    }

    private func writerLoop() {
        while true {
            wake.lock()
            var batch: [Operation] = []
            var closing = false
            while true {
                (batch, closing) = state.withLock { state in
                    let taken = Array(state.queue.prefix(Self.maxBatch))
                    state.queue.removeFirst(taken.count)
                    return (taken, state.closed)
                }
                if !batch.isEmpty || closing { break }
                wake.wait()
            }
            wake.unlock()
            if !batch.isEmpty { commit(batch) }
            if closing, batch.isEmpty { break }
        }
        stopped.lock()
        finished.withLock { $0 = true }
        stopped.broadcast()
        stopped.unlock()
    }

    private func commit(_ batch: [Operation]) {
        var results: [Result<SubmitRecording, any Error>?] = Array(repeating: nil, count: batch.count)
        var failure: (any Error)?
        do {
            try database.writer.write { db in
                for (index, operation) in batch.enumerated() {
                    switch operation {
                    case .submit(let record, let claim, _):
                        do {
                            var recording = SubmitRecording.recorded
                            try db.inSavepoint {
                                recording = try record.insertSubmitted(db, idempotency: claim)
                                return .commit
                            }
                            results[index] = .success(recording)
                        } catch {
                            results[index] = .failure(error)
                        }
                    case .finish(let ending):
                        try? db.inSavepoint {
                            try ending.apply(db)
                            return .commit
                        }
                    case .flush:
                        break
                    }
                }
            }
        } catch {
            failure = error
        }
        var operations = 0
        for (index, operation) in batch.enumerated() {
            switch operation {
            case .submit(_, _, let continuation):
                operations += 1
                if let failure {
                    continuation.resume(throwing: GridError(.storeWrite, "cannot record the task: \(failure); check free space in the data directory"))
                } else {
                    switch results[index] ?? .failure(GridError(.storeWrite, "not recorded")) {
                    case .success(let recording): continuation.resume(returning: recording)
                    case .failure(let error): continuation.resume(throwing: GridError(.storeWrite, "cannot record the task: \(error)"))
                    }
                }
            case .finish(let ending):
                operations += 1
                // Committed: reads go to the store again, unless a newer outcome for the task is
                // queued. Not committed (the store failed): reads keep seeing it while the node
                // runs, and the task resumes at the next start.
                guard failure == nil else { continue }
                state.withLock { state in
                    if state.ending[ending.id.hex] == ending { state.ending[ending.id.hex] = nil }
                }
            case .flush(let continuation):
                continuation.resume()
            }
        }
        counts.withLock {
            $0.batches += 1
            $0.operations += operations
        }
    }
}
