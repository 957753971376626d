import Foundation
import GridClient
import GridCore
import GridLocalAPI

/// Carries out a ``LoadPlan`` against one node: the shell around ``LoadPacer`` and ``LoadStats``.
///
/// Tasks go over a few local API connections: the node answers up to
/// ``LocalAPI/maxConcurrentRequests`` (64) requests of one connection at once and reads no more
/// from it until one ends, so a run with up to `maxInFlight` tasks in flight opens
/// ⌈maxInFlight / 64⌉ of them.
struct LoadRun {
    let plan: LoadPlan
    let params: SubmitParams
    let socketPath: String
    let display: LoadProgressDisplay
    /// The output every task must have, when it is known (``LoadOutputCheck``); nil: not checked.
    var expected: [UInt8]? = nil

    struct Outcome: Sendable {
        var stats: LoadStats
        /// From the first submission until the last task ended.
        var elapsed: Duration
        var stoppedEarly: String?
    }

    static let requestsPerConnection = LocalAPI.maxConcurrentRequests

    /// `hint` ends the error when no node answers at the socket.
    func run(unreachable hint: String) async throws -> Outcome {
        let size = (plan.maxInFlight + Self.requestsPerConnection - 1) / Self.requestsPerConnection
        let recorder = LoadRecorder(connections: size)
        let opened = LoadFlag()
        do {
            return try await Self.withConnections(socketPath: socketPath, count: size) { pool in
                opened.set()
                return await drive(pool, recorder)
            }
        } catch let error as GridError where error.code == .nodeUnreachable && !opened.isSet {
            throw GridError(.nodeUnreachable, "no node is running at \(socketPath); \(hint)")
        }
    }

    private func drive(_ pool: [GridConnection], _ recorder: LoadRecorder) async -> Outcome {
        let clock = ContinuousClock()
        let start = clock.now
        await withDiscardingTaskGroup { group in
            group.addTask {
                while true {
                    do { try await Task.sleep(for: display.interval) } catch { return }
                    display.show(LoadProgress.line(recorder.snapshot, elapsed: clock.now - start))
                }
            }
            switch plan.mode {
            case .rate(let perSecond):
                await paced(perSecond, from: start, pool, recorder)
            case .concurrency(let workers):
                await closedLoop(workers, until: start + plan.duration, pool, recorder)
            }
            group.cancelAll()
        }
        let elapsed = clock.now - start
        let stats = recorder.snapshot
        display.finish(LoadProgress.line(stats, elapsed: elapsed))
        return Outcome(stats: stats, elapsed: elapsed, stoppedEarly: recorder.stoppedEarly)
    }

    /// Open loop: each submission when the pacer says it is due; its latency counts from then.
    private func paced(_ perSecond: Double, from start: ContinuousClock.Instant, _ pool: [GridConnection], _ recorder: LoadRecorder) async {
        let clock = ContinuousClock()
        var pacer = LoadPacer(ratePerSecond: perSecond, start: start, duration: plan.duration, maxInFlight: plan.maxInFlight)
        await withDiscardingTaskGroup { tasks in
            while let next = pacer.nextDue, recorder.stoppedEarly == nil {
                if next > clock.now {
                    do { try await clock.sleep(until: next) } catch { break }
                }
                let release = pacer.release(now: clock.now, inFlight: recorder.inFlight)
                recorder.skipped(release.skipped)
                for due in release.due {
                    let index = recorder.submittedOnLeastBusy()
                    tasks.addTask {
                        let outcome = await submit(on: pool[index])
                        recorder.finished(outcome, latency: clock.now - due, on: index)
                    }
                }
            }
        }
    }

    /// Closed loop: `workers` workers, each submitting and waiting until the end; worker w uses
    /// connection w mod the pool's size, so none carries more than 64.
    private func closedLoop(_ workers: Int, until end: ContinuousClock.Instant, _ pool: [GridConnection], _ recorder: LoadRecorder) async {
        let clock = ContinuousClock()
        await withDiscardingTaskGroup { group in
            for worker in 0..<workers {
                let index = worker % pool.count
                group.addTask {
                    while clock.now < end, recorder.stoppedEarly == nil {
                        recorder.submitted(on: index)
                        let began = clock.now
                        let outcome = await submit(on: pool[index])
                        recorder.finished(outcome, latency: clock.now - began, on: index)
                    }
                }
            }
        }
    }

    private func submit(on connection: GridConnection) async -> LoadRecorder.Outcome {
        do {
            let view = try await connection.submit(params)
            switch view.status {
            case .succeeded:
                guard let expected else { return .succeeded }
                return LoadOutputCheck.output(of: view) == expected ? .succeeded : .wrong
            case .failed: return .failed(reason: view.error?.code ?? "failed")
            case .running: return .failed(reason: "not_finished")
            }
        } catch {
            return Self.outcome(of: error)
        }
    }

    /// How a thrown error counts: a failed task under its TaskFailure code, another answer from
    /// the node under its reason (or its kind), a broken connection under `connection`.
    static func outcome(of error: any Error) -> LoadRecorder.Outcome {
        switch error {
        case let error as RPCError:
            if error.code == RPCError.invalidParams {
                return .fatal(reason: error.data?.reason ?? "invalid_params", why: "the node refuses these tasks: \(error.message)")
            }
            if let reason = error.data?.reason, !reason.isEmpty { return .failed(reason: reason) }
            switch error.code {
            case RPCError.unavailable: return .failed(reason: "unavailable")
            case RPCError.methodNotFound: return .fatal(reason: "rpc_error", why: "the node has no \(LocalAPI.Method.taskSubmit.rawValue): \(error.message)")
            default: return .failed(reason: "rpc_error")
            }
        case let error as GridError where error.code == .nodeUnreachable:
            return .fatal(reason: LoadStats.connection, why: "lost the node: \(error.message)")
        case is DecodingError:
            return .failed(reason: "bad_answer")
        case is CancellationError:
            return .failed(reason: "cancelled")
        default:
            // What is left is the channel's own (a write to a closed socket).
            return .fatal(reason: LoadStats.connection, why: "lost the node: \(error)")
        }
    }

    /// Opens `count` connections to the node, runs `body` with them, and closes them.
    static func withConnections<R: Sendable>(
        socketPath: String, count: Int, _ body: ([GridConnection]) async throws -> R
    ) async throws -> R {
        func open(_ opened: [GridConnection]) async throws -> R {
            guard opened.count < count else { return try await body(opened) }
            return try await GridClient.withConnection(socketPath: socketPath) { try await open(opened + [$0]) }
        }
        return try await open([])
    }
}

/// Set once, read from anywhere: whether the connections were open.
final class LoadFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func set() {
        lock.lock()
        value = true
        lock.unlock()
    }

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}
