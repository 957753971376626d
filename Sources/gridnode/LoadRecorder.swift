import Foundation
import GridCore

/// What a load run's tasks share, under a lock: the ``LoadStats``, each connection's tasks in
/// flight (rate mode puts the next task on the least busy one), and why the run stopped early.
final class LoadRecorder: @unchecked Sendable {
    /// How one task ended.
    enum Outcome: Sendable, Equatable {
        case succeeded
        /// Succeeded with an output other than the one known to be right.
        case wrong
        case failed(reason: String)
        /// Failed so that no further task can do better (the node went away, or refuses the
        /// request itself): the run stops submitting, and says why.
        case fatal(reason: String, why: String)
    }

    private let lock = NSLock()
    private var stats = LoadStats()
    private var inFlightByConnection: [Int]
    private var stopReason: String?

    init(connections: Int) {
        inFlightByConnection = Array(repeating: 0, count: connections)
    }

    private func locked<R>(_ body: () -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    var snapshot: LoadStats { locked { stats } }
    var inFlight: Int { locked { stats.inFlight } }
    /// Why the run stopped before its end; nil while it goes on.
    var stoppedEarly: String? { locked { stopReason } }

    /// Counts a task sent on `connection`.
    func submitted(on connection: Int) {
        locked {
            stats.recordSubmitted()
            inFlightByConnection[connection] += 1
        }
    }

    /// Counts a task sent on the connection with the fewest in flight, and returns its index.
    func submittedOnLeastBusy() -> Int {
        locked {
            let index = inFlightByConnection.indices.min { inFlightByConnection[$0] < inFlightByConnection[$1] } ?? 0
            stats.recordSubmitted()
            inFlightByConnection[index] += 1
            return index
        }
    }

    func skipped(_ submissions: Int) {
        locked { stats.recordSkipped(submissions) }
    }

    func finished(_ outcome: Outcome, latency: Duration, on connection: Int) {
        locked {
            inFlightByConnection[connection] -= 1
            switch outcome {
            case .succeeded: stats.recordSuccess(latency: latency)
            case .wrong: stats.recordWrong()
            case .failed(let reason): stats.recordFailure(reason: reason)
            case .fatal(let reason, let why):
                stats.recordFailure(reason: reason)
                if stopReason == nil { stopReason = why }
            }
        }
    }
}
